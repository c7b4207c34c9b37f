/**
 * JupyterLab side of firefox-launcher: a "Firefox" launcher tile and
 * palette command that start a session in the sidecar and show its Xpra
 * HTML5 client in a tab, and a "Firefox sessions" side panel.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  Notification,
  showErrorMessage
} from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IFrame } from '@jupyterlab/ui-components';

import { SidecarApi } from './api';
import { firefoxIcon } from './icons';
import { SessionManager } from './manager';
import { SessionsPanel } from './panel';
import { ISession } from './sessions';
import { absoluteUrl, sessionClientUrl, sidecarRoot } from './urls';
import { WaitingTab } from './waiting';

const PLUGIN_ID = 'jupyterlab-firefox-launcher:plugin';

export namespace CommandIDs {
  export const start = 'firefox-launcher:start';
  export const open = 'firefox-launcher:open-session';
  export const stop = 'firefox-launcher:stop-session';
  export const showPanel = 'firefox-launcher:show-sessions';
}

type OpenIn = 'tab' | 'browser-tab';

interface IOptions {
  openIn: OpenIn;
  startUrl: string;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Start Firefox sessions from the JupyterLab launcher.',
  autoStart: true,
  optional: [ILauncher, ICommandPalette, ISettingRegistry, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    launcher: ILauncher | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null
  ) => {
    const serverSettings = app.serviceManager.serverSettings;
    const manager = new SessionManager(new SidecarApi(serverSettings));
    const options: IOptions = { openIn: 'tab', startUrl: '' };

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const update = () => {
            const openIn = settings.get('openIn').composite;
            options.openIn = openIn === 'browser-tab' ? 'browser-tab' : 'tab';
            const startUrl = settings.get('startUrl').composite;
            options.startUrl = typeof startUrl === 'string' ? startUrl : '';
          };
          update();
          settings.changed.connect(update);
        })
        .catch(reason => {
          console.error('firefox-launcher: could not load settings', reason);
        });
    }

    const clientUrl = (s: ISession) =>
      sessionClientUrl(serverSettings.baseUrl, s.port, s.path);

    /** A main-area tab with the session's client, or one still starting. */
    const makeTab = (reveal?: Promise<void>) => {
      const content = new IFrame({
        // The least the client works with (measured in Chromium; the e2e
        // suite checks the attribute and that the client draws). What
        // protects JupyterLab from the pages shown in Firefox is the sidecar's
        // patched client and its Content-Security-Policy: a same-origin frame
        // with both of these tokens could lift its own sandbox.
        // - allow-scripts: the client is a script.
        // - allow-same-origin: without it the frame's origin is opaque, so
        //   (1) its scripts and styles are cross-site requests that carry no
        //   Jupyter cookie and are redirected to the login page, (2) its
        //   websocket would send `Origin: null`, which Jupyter refuses (403),
        //   and (3) the client's sessionStorage throws.
        // Nothing else: no forms are submitted (the sidecar's CSP has
        // form-action 'none'), no popups (the client's open-url and print are
        // disabled), no downloads, modals, pointer lock or top navigation.
        sandbox: ['allow-scripts', 'allow-same-origin'],
        referrerPolicy: 'no-referrer'
      });
      content.addClass('jp-FirefoxClient');
      const widget = new MainAreaWidget<IFrame>({
        content,
        reveal
      });
      widget.id = `jp-firefox-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
      widget.addClass('jp-FirefoxTab');
      widget.title.icon = firefoxIcon;
      widget.title.closable = true;
      return widget;
    };

    const showSession = (widget: MainAreaWidget<IFrame>, s: ISession) => {
      widget.content.url = clientUrl(s);
      widget.title.label = `Firefox :${s.port}`;
      widget.title.caption = `Firefox session on port ${s.port}`;
      widget.node.dataset.port = String(s.port);
      manager.trackTab(s, widget);
    };

    /** A new browser tab with the client: it gets no handle on this window. */
    const openBrowserTab = (url: string) => {
      window.open(url, '_blank', 'noopener,noreferrer');
    };

    /** When the waiting tab is gone: a toast whose button opens the client. */
    const offerBrowserTab = (s: ISession, url: string) => {
      Notification.info(`Firefox :${s.port} is ready`, {
        autoClose: false,
        actions: [
          {
            label: 'Open in a new tab',
            callback: () => openBrowserTab(url)
          }
        ]
      });
    };

    const openSession = (s: ISession) => {
      if (options.openIn === 'browser-tab') {
        openBrowserTab(absoluteUrl(clientUrl(s), window.location.href));
        return;
      }
      const existing = manager.tabFor(s);
      if (existing && !existing.isDisposed) {
        app.shell.activateById(existing.id);
        return;
      }
      const widget = makeTab();
      showSession(widget, s);
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
    };

    const start = async () => {
      // The "starting" toast appears only for starts that take a while: a
      // start refused at once goes straight to the error dialog (and a toast
      // dismissed right after being emitted can outlive its dismissal).
      let note: string | null = null;
      const noteTimer = window.setTimeout(() => {
        note = Notification.emit('Starting Firefox…', 'in-progress', {
          autoClose: false
        });
      }, 500);
      // A browser tab must be opened while the click is still being handled,
      // or the popup blocker stops it: it shows a waiting page until Firefox
      // is up (see waiting.ts).
      let waiting: WaitingTab | null = null;
      let widget: MainAreaWidget<IFrame> | null = null;
      // The tab shows a spinner until revealed. A failed start disposes the
      // tab instead: a rejected reveal would make MainAreaWidget render the
      // error itself, racing with the disposal.
      let reveal = () => {};
      const revealed = new Promise<void>(resolve => (reveal = resolve));
      const starting = manager.start(options.startUrl);
      if (options.openIn === 'browser-tab') {
        waiting = new WaitingTab({
          allowedPrefix: new URL(
            sidecarRoot(serverSettings.baseUrl),
            window.location.href
          ).pathname
        });
      } else {
        widget = makeTab(revealed);
        widget.title.label = 'Firefox (starting…)';
        app.shell.add(widget, 'main');
        app.shell.activateById(widget.id);
      }
      try {
        const s = await starting;
        window.clearTimeout(noteTimer);
        if (note !== null) {
          Notification.update({
            id: note,
            message: `Firefox :${s.port} is ready`,
            type: 'success',
            autoClose: 3000
          });
        }
        if (widget) {
          if (widget.isDisposed) {
            // The tab was closed while starting: the session lives on.
            return;
          }
          showSession(widget, s);
          reveal();
        } else if (waiting) {
          const url = absoluteUrl(clientUrl(s), window.location.href);
          if (!(await waiting.go(url))) {
            offerBrowserTab(s, url);
          }
        }
      } catch (e) {
        window.clearTimeout(noteTimer);
        if (note !== null) {
          Notification.dismiss(note);
        }
        const message = e instanceof Error ? e.message : String(e);
        widget?.dispose();
        waiting?.fail(message);
        await showErrorMessage('Firefox', message);
      }
    };

    const stop = async (s: ISession) => {
      try {
        await manager.stop(s);
      } catch (e) {
        await showErrorMessage('Firefox', e instanceof Error ? e.message : String(e));
      }
    };

    const sessionFromArgs = async (args: { port?: unknown }) => {
      const port = Number(args.port);
      let s = manager.find(port);
      if (!s) {
        await manager.refresh();
        s = manager.find(port);
      }
      if (!s) {
        throw new Error(`No Firefox session on port ${port}`);
      }
      return s;
    };

    app.commands.addCommand(CommandIDs.start, {
      label: args => (args.isPalette ? 'Start Firefox' : 'Firefox'),
      caption: 'Start Firefox in a new session',
      icon: args => (args.isPalette ? undefined : firefoxIcon),
      execute: start
    });

    app.commands.addCommand(CommandIDs.open, {
      label: args => `Open Firefox :${args.port ?? ''}`,
      execute: async args => openSession(await sessionFromArgs(args))
    });

    app.commands.addCommand(CommandIDs.stop, {
      label: args => `Stop Firefox :${args.port ?? ''}`,
      execute: async args => stop(await sessionFromArgs(args))
    });

    const panel = new SessionsPanel({
      manager,
      onNew: () => void app.commands.execute(CommandIDs.start),
      onOpen: openSession,
      onStop: s => void stop(s)
    });
    app.shell.add(panel, 'right', { rank: 900 });
    if (restorer) {
      restorer.add(panel, 'firefox-launcher-sessions');
    }

    app.commands.addCommand(CommandIDs.showPanel, {
      label: 'Show Firefox Sessions',
      caption: 'Show the Firefox sessions panel',
      execute: () => app.shell.activateById(panel.id)
    });

    if (launcher) {
      launcher.add({
        command: CommandIDs.start,
        category: 'Other',
        rank: 10
      });
    }
    if (palette) {
      palette.addItem({ command: CommandIDs.start, category: 'Firefox' });
      palette.addItem({ command: CommandIDs.showPanel, category: 'Firefox' });
    }
  }
};

export default plugin;
