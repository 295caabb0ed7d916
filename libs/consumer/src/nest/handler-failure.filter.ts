import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

/**
 * Bound to every `@LockstepHandler()` method: hands the handler's exception to the transport as it is.
 * Nest's default RPC filter would log it and replace it with `{ status: 'error' }`, and an app
 * filter could even turn it into a success — then a half-run handler's writes would commit.
 * The transport needs the real error to roll back, retry and write the dead-letter headers.
 */
@Catch()
export class HandlerFailureFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}
