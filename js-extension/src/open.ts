/**
 * Commands that open an address in a new Firefox session (issue 23): "Open
 * URL in Firefox…" (asks for it; also runs with `{url}` from code) and "Open
 * in Firefox" on HTML files in the file browser (a `file:///` URL of the
 * file's absolute path: Firefox runs on the machine of the Jupyter server,
 * as the user, so it reads the file itself, with the page's own relative
 * links and images). The sidecar checks every address again.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, InputDialog } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';

import { fileUrl, typedUrl } from './urls';

export namespace OpenCommandIDs {
  export const openUrl = 'firefox-launcher:open-url';
  export const openFile = 'firefox-launcher:open-file';
}

export function addOpenCommands(
  app: JupyterFrontEnd,
  startAt: (url: string) => Promise<void>,
  fileBrowser: IFileBrowserFactory | null,
  palette: ICommandPalette | null
): void {
  app.commands.addCommand(OpenCommandIDs.openUrl, {
    label: 'Open URL in Firefox…',
    caption: 'Start Firefox on an address',
    describedBy: { args: { type: 'object', properties: { url: { type: 'string' } } } },
    execute: async args => {
      let url = typeof args.url === 'string' ? args.url : null;
      if (url === null) {
        const answer = await InputDialog.getText({ title: 'Open URL in Firefox', placeholder: 'https://' });
        url = answer.button.accept ? typedUrl(answer.value ?? '') : null;
      }
      if (url) {
        await startAt(url);
      }
    }
  });
  palette?.addItem({ command: OpenCommandIDs.openUrl, category: 'Firefox' });
  if (!fileBrowser) {
    return;
  }
  app.commands.addCommand(OpenCommandIDs.openFile, {
    label: 'Open in Firefox',
    caption: 'Open this HTML file in a new Firefox session',
    isVisible: () => {
      const items = Array.from(fileBrowser.tracker.currentWidget?.selectedItems() ?? []);
      return items.length === 1 && items[0].type === 'file' && /\.html?$/i.test(items[0].path);
    },
    execute: async () => {
      const [item] = Array.from(fileBrowser.tracker.currentWidget?.selectedItems() ?? []);
      if (item) {
        await startAt(fileUrl(PageConfig.getOption('serverRoot'), item.path));
      }
    }
  });
  app.contextMenu.addItem({
    command: OpenCommandIDs.openFile,
    selector: '.jp-DirListing-item[data-isdir="false"]',
    rank: 3
  });
}
