import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * `Expect: 100-continue`: the client waits for `100 Continue` before it sends the body. Node
 * sends it at once unless a 'checkContinue' listener decides; this one sends it only when
 * something starts reading the body, so only once the route has accepted the request: the
 * guards' 413, an unknown route's 404, `PUT /visits`' 401 (its token is checked before the body
 * is read) and its 400 for a wrong Content-Type all go out without a 100 before them.
 */
export function continueOnFirstRead(req: IncomingMessage, res: ServerResponse): void {
  let sent = false;
  const onRead = (): void => {
    // After an answer, Node itself resumes the request to discard its body: no 100 then.
    if (sent || res.headersSent) return;
    sent = true;
    res.writeContinue();
  };
  req.on('newListener', (event: string | symbol) => {
    if (event === 'data' || event === 'readable') onRead();
  });
  req.once('resume', onRead);
}
