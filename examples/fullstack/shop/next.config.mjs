const nextConfig = {
  // Under Mounts the app lives at /shop; run alone, MOUNT_PREFIX is unset and it is at /.
  basePath: process.env.MOUNT_PREFIX,
};

export default nextConfig;
