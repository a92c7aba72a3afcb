// Vite under Mounts: the base is the mount's prefix, and it listens where Mounts says.
import { defineConfig } from 'vite';

export default defineConfig({
  base: `${process.env.MOUNT_PREFIX ?? ''}/`,
  clearScreen: false,
  server: {
    host: process.env.HOST ?? '127.0.0.1',
    port: Number(process.env.PORT ?? 5173),
    strictPort: true,
  },
});
