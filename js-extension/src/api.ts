/**
 * Calls to the firefox-launcher sidecar through jupyter-server-proxy, with
 * JupyterLab's own server connection (auth token, XSRF header, base URL).
 */
import { ServerConnection } from '@jupyterlab/services';

import { IStartRequest, startRequestBody } from './options';
import { eventsApiUrl, healthApiUrl, sessionApiUrl, sessionsApiUrl } from './urls';
import { IEventList, parseEventList } from './events';
import {
  describeError,
  ISession,
  IStopResult,
  parseSession,
  parseSessionList
} from './sessions';

/** A failed sidecar call, with a message meant for a person. */
export class SidecarError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
    readonly body: unknown = null
  ) {
    super(message);
    this.name = 'SidecarError';
  }
}

export class SidecarApi {
  constructor(private readonly _settings: ServerConnection.ISettings) {}

  get serverSettings(): ServerConnection.ISettings {
    return this._settings;
  }

  /** `GET /api/health`: `{status, version, sessions, ...}` */
  async health(): Promise<unknown> {
    return this._call(healthApiUrl(this._settings.baseUrl), { method: 'GET' }, 'ask the Firefox sidecar its version');
  }

  /** `GET /api/sessions` */
  async list(): Promise<ISession[]> {
    const body = await this._call(
      sessionsApiUrl(this._settings.baseUrl),
      { method: 'GET' },
      'list the Firefox sessions'
    );
    return parseSessionList(body);
  }

  /**
   * `POST /api/sessions` with what `request` sets (nothing else: the
   * sidecar refuses unknown fields); answers once Firefox is ready (3-15 s).
   */
  async start(request: IStartRequest = {}): Promise<ISession> {
    let json: string;
    try {
      json = JSON.stringify(startRequestBody(request));
    } catch (e) {
      throw new SidecarError(`Could not start Firefox: ${e instanceof Error ? e.message : String(e)}`);
    }
    const body = await this._call(
      sessionsApiUrl(this._settings.baseUrl),
      {
        method: 'POST',
        // The sidecar refuses POSTs that are not declared JSON (415).
        headers: { 'Content-Type': 'application/json' },
        body: json
      },
      'start Firefox'
    );
    return parseSession(body);
  }

  /** `GET /api/sessions/<port>`: the session, or a SidecarError (404: gone). */
  async get(port: number): Promise<ISession> {
    const body = await this._call(
      sessionApiUrl(this._settings.baseUrl, port),
      { method: 'GET' },
      `look up Firefox :${port}`
    );
    return parseSession(body);
  }

  /**
   * `GET /api/events?after=<id>`: what code asked JupyterLab to show, waited
   * for up to 20 s; without an id, at once, the id to follow from.
   */
  async events(after: number | null): Promise<IEventList> {
    const body = await this._call(
      eventsApiUrl(this._settings.baseUrl, after),
      { method: 'GET' },
      'follow the Firefox sidecar'
    );
    return parseEventList(body);
  }

  /** `DELETE /api/sessions/<port>` */
  async stop(port: number): Promise<IStopResult> {
    const body = await this._call(
      sessionApiUrl(this._settings.baseUrl, port),
      { method: 'DELETE' },
      `stop Firefox :${port}`
    );
    return (body ?? { port }) as IStopResult;
  }

  private async _call(
    url: string,
    init: RequestInit,
    action: string
  ): Promise<unknown> {
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, init, this._settings);
    } catch (e) {
      throw new SidecarError(describeError(action, null, null), null, e);
    }
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // keep the text
    }
    if (!response.ok) {
      throw new SidecarError(
        describeError(action, response.status, body),
        response.status,
        body
      );
    }
    return body;
  }
}
