/**
 * A live WebSocket of an agent on a hub (from now: no `since`), collecting the message ids and
 * cursors it is pushed, in order. Resolves once the hub said `ready`; the socket goes into `open`
 * so the test closes it.
 */
import WebSocket from 'ws';

export async function pushesTo(
  url: string,
  agent: { id: string; token: string },
  open: WebSocket[],
): Promise<Array<{ id: string; cursor: number }>> {
  const got: Array<{ id: string; cursor: number }> = [];
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws/${agent.id}?token=${agent.token}`);
  open.push(ws);
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (raw) => {
      const frame = JSON.parse(String(raw));
      if (frame.type === 'ready') resolve();
      if (frame.type === 'message') got.push({ id: frame.message.message_id, cursor: Number(frame.cursor) });
    });
    ws.once('error', reject);
  });
  return got;
}
