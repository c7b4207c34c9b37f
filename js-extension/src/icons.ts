import { LabIcon } from '@jupyterlab/ui-components';

import firefoxSvgstr from '../style/icons/firefox.svg';

export const firefoxIcon = new LabIcon({
  name: 'jupyterlab-firefox-launcher:firefox',
  svgstr: firefoxSvgstr
});
