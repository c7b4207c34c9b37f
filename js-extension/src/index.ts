/**
 * JupyterLab side of firefox-launcher: a "Firefox" launcher tile and
 * palette command that start a session in the sidecar and show it in a tab
 * (our own Xpra client) (tab.ts), which a reload restores onto its session,
 * and a "Firefox sessions" side panel. Each start sends what the settings
 * (or the panel's choice of profile) ask for (options.ts); each download
 * Firefox finishes is announced once, with a button that shows it in the
 * file browser (downloads.ts).
 */
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  Notification,
  showDialog,
  showErrorMessage,
  WidgetTracker
} from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { ILauncher } from '@jupyterlab/launcher';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { SidecarApi, SidecarError } from './api';
import { cleanTitle } from './client';
import {
  DownloadTracker,
  downloadMessage,
  IDownload,
  revealPath
} from './downloads';
import { followEvents } from './events';
import { firefoxIcon } from './icons';
import { addOpenCommands } from './open';
import { SessionManager } from './manager';
import {
  asClipboardMode,
  asProfile,
  ClipboardMode,
  IStartRequest,
  jupyterRoots,
  Profile,
  resolveDownloadsDir
} from './options';
import { SessionsPanel } from './panel';
import { isProfileInUse, ISession, profileHolder } from './sessions';
import { FirefoxTab } from './tab';
import {
  absoluteUrl,
  checkPort,
  keyboardLayout,
  sessionClientUrl,
  sidecarRoot,
  withClientOptions
} from './urls';
import { versionMismatch } from './version';
import { WaitingTab } from './waiting';

const PLUGIN_ID = 'jupyterlab-firefox-launcher:plugin';

/** How often the session list is fetched for new downloads while sessions run, in ms. */
export const DOWNLOAD_POLL_MS = 3000;

/** JupyterLab's file browser command that shows a path (and selects a file). */
const GO_TO_PATH = 'filebrowser:go-to-path';

export namespace CommandIDs {
  export const start = 'firefox-launcher:start';
  export const open = 'firefox-launcher:open-session';
  /** A JupyterLab tab on the session at `{port}` (layout restoration). */
  export const openTab = 'firefox-launcher:open-tab';
  export const stop = 'firefox-launcher:stop-session';
  export const showPanel = 'firefox-launcher:show-sessions';
}

type OpenIn = 'tab' | 'browser-tab';

interface IOptions {
  openIn: OpenIn;
  startUrl: string;
  keyboardLayout: string | null;
  /** The profile setting, when the person set it (else the service's default). */
  profile: Profile | null;
  /** The clipboard setting, when the person set it (else the service's). */
  clipboard: ClipboardMode | null;
  /** The downloadsDir setting as written: '' (the service's), absolute, or relative to Jupyter's root. */
  downloadsDir: string;
  /** The sound setting: false asks for sessions without sound. */
  sound: boolean;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Start Firefox sessions from the JupyterLab launcher.',
  autoStart: true,
  optional: [ILauncher, ICommandPalette, ISettingRegistry, ILayoutRestorer, ILabShell, IFileBrowserFactory],
  activate: (
    app: JupyterFrontEnd,
    launcher: ILauncher | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null,
    labShell: ILabShell | null,
    fileBrowser: IFileBrowserFactory | null
  ) => {
    const serverSettings = app.serviceManager.serverSettings;
    const api = new SidecarApi(serverSettings);
    const manager = new SessionManager(api);
    const options: IOptions = {
      openIn: 'tab',
      startUrl: '',
      keyboardLayout: null,
      profile: null,
      clipboard: null,
      downloadsDir: '',
      sound: true
    };
    // Jupyter's root directory, absolute: relative downloadsDir settings
    // start there, and downloads under it can be shown in the file browser.
    const roots = jupyterRoots(
      PageConfig.getOption('serverRoot'),
      PageConfig.getOption('rootUri')
    );

    // Restored tabs wait for the settings (the client's address depends on them).
    let settingsLoaded: Promise<void> = Promise.resolve();
    if (settingRegistry) {
      settingsLoaded = settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const update = () => {
            const openIn = settings.get('openIn').composite;
            options.openIn = openIn === 'browser-tab' ? 'browser-tab' : 'tab';
            const startUrl = settings.get('startUrl').composite;
            options.startUrl = typeof startUrl === 'string' ? startUrl : '';
            const layout = settings.get('keyboardLayout').composite;
            options.keyboardLayout = keyboardLayout(layout);
            if (layout && !options.keyboardLayout) {
              console.warn('firefox-launcher: ignoring keyboardLayout', layout);
            }
            // Sent only when set by the person: otherwise the service's own
            // defaults (which an administrator may have chosen) apply.
            options.profile = asProfile(settings.user.profile);
            options.clipboard = asClipboardMode(settings.user.clipboard);
            const dir = settings.get('downloadsDir').composite;
            options.downloadsDir = typeof dir === 'string' ? dir : '';
            options.sound = settings.get('sound').composite !== false;
          };
          update();
          settings.changed.connect(update);
        })
        .catch(reason => {
          console.error('firefox-launcher: could not load settings', reason);
        });
    }

    /** The client page of `s`, with the client's options (keyboard layout). */
    const clientUrl = (s: ISession) =>
      withClientOptions(sessionClientUrl(serverSettings.baseUrl, s.port, s.path), {
        keyboardLayout: options.keyboardLayout
      });

    // Firefox tabs, saved in the workspace so a reload brings them back onto
    // their sessions (by port and creation time: a port can be reused). A
    // tab is named by its widget id, which it keeps across reloads, so the
    // saved layout finds it whatever session it shows by then; a tab still
    // starting has no session to come back to (`port: null` is dropped).
    const tracker = new WidgetTracker<FirefoxTab>({ namespace: 'firefox-launcher' });
    if (restorer) {
      void restorer.restore(tracker, {
        command: CommandIDs.openTab,
        args: tab => ({
          id: tab.id,
          port: tab.session?.port ?? null,
          created_at: tab.session?.created_at ?? ''
        }),
        name: tab => tab.id
      });
    }

    /** A main-area tab for Firefox sessions (add it to `tracker` once it has its state). */
    const makeTab = (options: { reveal?: Promise<void>; id?: string } = {}) => {
      const tab = new FirefoxTab({
        manager,
        clientUrl,
        startNew: t => void startInTab(t),
        reveal: options.reveal,
        id: options.id
      });
      tab.sessionChanged.connect(() => {
        if (!tab.isDisposed && tracker.has(tab)) {
          void tracker.save(tab);
        }
      });
      return tab;
    };

    /**
     * Start a session as the settings say, on `profile` if given. A setting
     * that cannot be sent (a relative downloadsDir with no known root) fails
     * the start, in words.
     */
    const startSession = async (profile?: Profile | null, url?: string) => {
      let request: IStartRequest;
      try {
        request = {
          url: url ?? options.startUrl,
          profile: profile ?? options.profile,
          clipboard: options.clipboard,
          downloads: resolveDownloadsDir(options.downloadsDir, roots),
          audio: options.sound ? null : false
        };
      } catch (e) {
        throw new SidecarError(
          `Could not start Firefox: ${e instanceof Error ? e.message : String(e)}`
        );
      }
      return manager.start(request);
    };

    /**
     * A start refused because the persistent profile is taken: say so, and
     * offer the session that holds it.
     */
    const explainProfileInUse = async (e: SidecarError) => {
      await manager.refresh();
      const holder = profileHolder(manager.sessions);
      const said = (e.body as { error?: unknown }).error;
      const server = cleanTitle(typeof said === 'string' ? said : '').replace(/[.\s]+$/, '');
      const body =
        (server ? `Firefox was not started: ${server}. ` : 'Firefox was not started. ') +
        'Only one Firefox at a time can use the profile that remembers you' +
        (holder ? `, and Firefox :${holder.port} has it open.` : '.');
      const result = await showDialog({
        title: 'The profile that remembers you is in use',
        body,
        buttons: holder
          ? [
              Dialog.cancelButton({ label: 'Close' }),
              Dialog.okButton({ label: `Open Firefox :${holder.port}` })
            ]
          : [Dialog.okButton({ label: 'Close' })]
      });
      if (holder && result.button.accept) {
        openSession(holder);
      }
    };

    /** The ended state's button: a new session in the same tab, on the profile it had. */
    const startInTab = async (tab: FirefoxTab) => {
      const profile = asProfile(tab.session?.profile);
      tab.showStarting();
      try {
        const s = await startSession(profile);
        if (tab.isDisposed) {
          return; // closed meanwhile: the session lives on, in the panel
        }
        tab.showSession(s);
        if (labShell?.currentWidget === tab) {
          tab.focusClient();
        }
      } catch (e) {
        if (!tab.isDisposed) {
          tab.showEnded(e instanceof Error ? e.message : String(e));
        }
        if (e instanceof SidecarError && isProfileInUse(e.status, e.body)) {
          await explainProfileInUse(e);
        }
      }
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
      openTab(s);
    };

    /** Show `s` in its JupyterLab tab, or in a new one. */
    const openTab = (s: ISession) => {
      const existing = manager.tabFor(s);
      if (existing && !existing.isDisposed) {
        app.shell.activateById(existing.id);
        return existing;
      }
      const tab = makeTab();
      tab.showSession(s);
      void tracker.add(tab);
      app.shell.add(tab, 'main');
      app.shell.activateById(tab.id);
      return tab;
    };

    const start = async (profile?: Profile, url?: string) => {
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
      let widget: FirefoxTab | null = null;
      // The tab shows a spinner until revealed. A failed start disposes the
      // tab instead: a rejected reveal would make MainAreaWidget render the
      // error itself, racing with the disposal.
      let reveal = () => {};
      const revealed = new Promise<void>(resolve => (reveal = resolve));
      const starting = startSession(profile, url);
      if (options.openIn === 'browser-tab') {
        waiting = new WaitingTab({
          allowedPrefix: new URL(
            sidecarRoot(serverSettings.baseUrl),
            window.location.href
          ).pathname
        });
      } else {
        widget = makeTab({ reveal: revealed });
        widget.showStarting();
        void tracker.add(widget);
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
          widget.showSession(s);
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
        if (e instanceof SidecarError && isProfileInUse(e.status, e.body)) {
          await explainProfileInUse(e);
        } else {
          await showErrorMessage('Firefox', message);
        }
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
      label: args =>
        args.profile === 'persistent'
          ? 'Start Firefox (remembers you)'
          : args.isPalette
            ? 'Start Firefox'
            : 'Firefox',
      caption: args =>
        args.profile === 'persistent'
          ? 'Start Firefox on the profile that keeps logins, cookies and history'
          : 'Start Firefox in a new session',
      icon: args => (args.isPalette ? undefined : firefoxIcon),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            profile: { type: 'string', enum: ['temporary', 'persistent'] }
          }
        }
      },
      execute: args => start(asProfile(args.profile) ?? undefined)
    });

    app.commands.addCommand(CommandIDs.open, {
      label: args => `Open Firefox :${args.port ?? ''}`,
      execute: async args => openSession(await sessionFromArgs(args))
    });

    app.commands.addCommand(CommandIDs.openTab, {
      label: args => `Open Firefox :${args.port ?? ''} in a tab`,
      describedBy: {
        args: {
          type: 'object',
          properties: {
            port: { type: 'integer', minimum: 1, maximum: 65535 },
            created_at: { type: 'string' },
            id: { type: 'string' }
          },
          required: ['port']
        }
      },
      execute: async args => {
        // Restored tabs: each on its session, or saying it ended (with a
        // button for a new one), as the sidecar says.
        const port = checkPort(Number(args.port));
        const created = typeof args.created_at === 'string' ? args.created_at : '';
        const known = manager.find(port);
        if (known && (!created || known.created_at === created)) {
          const existing = manager.tabFor(known);
          if (existing && !existing.isDisposed) {
            app.shell.activateById(existing.id);
            return existing;
          }
        }
        // The id it had, so the saved layout puts it back where it was.
        const id =
          typeof args.id === 'string' &&
          /^jp-firefox-[0-9]+-[0-9]+$/.test(args.id) &&
          !document.getElementById(args.id)
            ? args.id
            : undefined;
        const tab = makeTab({ id });
        void tab.restore(
          { port, created_at: created, status: 'unknown', path: `sessions/${port}/` },
          settingsLoaded
        );
        void tracker.add(tab);
        app.shell.add(tab, 'main');
        return tab;
      }
    });

    app.commands.addCommand(CommandIDs.stop, {
      label: args => `Stop Firefox :${args.port ?? ''}`,
      execute: async args => stop(await sessionFromArgs(args))
    });

    const panel = new SessionsPanel({
      manager,
      onNew: profile =>
        void app.commands.execute(CommandIDs.start, profile ? { profile } : {}),
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

    // Keys go to Firefox as soon as its tab is shown, with no click first.
    labShell?.currentChanged.connect((_, args) => {
      if (args.newValue instanceof FirefoxTab) {
        args.newValue.focusClient();
      }
    });

    if (launcher) {
      launcher.add({
        command: CommandIDs.start,
        category: 'Other',
        rank: 10
      });
    }
    // Downloads: each one Firefox finishes is announced once in this window;
    // those already listed when the page loaded are not. The list is the one
    // the panel polls while shown; besides, one at load (what was there),
    // then a light poll while sessions run and the page is seen.
    const downloads = new DownloadTracker();
    const announce = (session: ISession, download: IDownload) => {
      const canShow = app.commands.hasCommand(GO_TO_PATH);
      const reveal = canShow ? revealPath(download.path, roots) : null;
      Notification.success(downloadMessage(download, reveal), {
        autoClose: 15_000,
        actions:
          reveal === null
            ? []
            : [
                {
                  label: 'Show in file browser',
                  caption: `Show ${cleanTitle(download.name)} in the file browser (from Firefox :${session.port})`,
                  callback: () => void app.commands.execute(GO_TO_PATH, { path: reveal })
                }
              ]
      });
    };
    manager.listed.connect((_, sessions) => {
      for (const { session, download } of downloads.update(sessions)) {
        announce(session, download);
      }
    });
    addOpenCommands(app, url => start(undefined, url), fileBrowser, palette);
    void manager.refresh();
    // Code asks for a session's tab (`s.show()`, a kernel's `webbrowser.open`):
    // it opens here, in JupyterLab (a browser tab would need a click).
    void followEvents({
      fetch: after => api.events(after),
      onShow: async port => openTab(await sessionFromArgs({ port })),
      signal: new AbortController().signal
    });
    // Once per page: a sidecar of another version than this extension is said in words.
    api
      .health()
      .then(health => {
        const mismatch = versionMismatch(health);
        if (mismatch) {
          console.warn(`firefox-launcher: ${mismatch}`);
          Notification.warning(mismatch, { autoClose: false });
        }
      })
      .catch(() => undefined);
    window.setInterval(() => {
      const busy = manager.sessions.length > 0 || manager.starting > 0;
      const fresh = Date.now() - manager.listedAt < DOWNLOAD_POLL_MS / 2;
      if (busy && !fresh && !document.hidden) {
        void manager.refresh();
      }
    }, DOWNLOAD_POLL_MS);

    if (palette) {
      palette.addItem({ command: CommandIDs.start, category: 'Firefox' });
      palette.addItem({
        command: CommandIDs.start,
        category: 'Firefox',
        args: { profile: 'persistent', isPalette: true }
      });
      palette.addItem({ command: CommandIDs.showPanel, category: 'Firefox' });
    }
  }
};

export default plugin;
