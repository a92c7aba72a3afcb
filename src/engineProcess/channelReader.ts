/**
 * The editor's reader of the engine process's JSON-RPC messages: vscode-jsonrpc's IPCMessageReader
 * plus one last message of its own, `CHANNEL_CLOSED`, once the channel has closed. Node may report
 * the child's exit before it has delivered the last messages the child sent (the answer to a stop
 * comes just before the process exits), and vscode-jsonrpc handles what it reads from a queue, one
 * message per turn; failing pending requests on 'exit' lost that race to their own answers (seen on
 * Node 24). The closing message goes through the same queue, after every message the process sent,
 * so whatever was answered is answered before anything is failed.
 */
import type { ChildProcess } from 'node:child_process';
import { IPCMessageReader, type DataCallback, type Disposable, type NotificationMessage } from 'vscode-jsonrpc/node';

/** The method of the notification the reader adds once the channel has closed. */
export const CHANNEL_CLOSED = 'mounts/channelClosed';

export class ChannelReader extends IPCMessageReader {
  constructor(private readonly child: ChildProcess) {
    super(child);
  }

  override listen(callback: DataCallback): Disposable {
    const listening = super.listen(callback);
    const closing: NotificationMessage = { jsonrpc: '2.0', method: CHANNEL_CLOSED };
    const closed = (): void => callback(closing);
    this.child.once('disconnect', closed);
    return {
      dispose: () => {
        listening.dispose();
        this.child.off('disconnect', closed);
      },
    };
  }
}
