/**
 * The engine process's writer of JSON-RPC messages to the editor: vscode-jsonrpc's IPCMessageWriter
 * over `process.send`, plus `drained()`. The process exits right after some messages (the answer
 * to a stop, the report of an app's fatal error), and an exit before Node has handed a message to
 * the channel loses it; IPCMessageWriter's writes resolve before that.
 */
import { AbstractMessageWriter, type Message, type MessageWriter } from 'vscode-jsonrpc/node';

export class ChannelWriter extends AbstractMessageWriter implements MessageWriter {
  private last: Promise<void> = Promise.resolve();

  write(message: Message): Promise<void> {
    const send = process.send?.bind(process);
    // The editor may vanish at any moment: what was to be sent to it is dropped.
    if (!send || !process.connected) return Promise.resolve();
    // Node calls these back in the order of the sends, so the last one stands for all.
    this.last = new Promise((resolve) => {
      try {
        send(message, undefined, {}, (error: Error | null) => {
          if (error) this.fireError(error, message);
          resolve();
        });
      } catch (error) {
        this.fireError(error, message);
        resolve();
      }
    });
    return Promise.resolve();
  }

  /** Resolves once every message written so far is on its way (or could not be sent). */
  drained(): Promise<void> {
    return this.last;
  }

  end(): void {}
}
