import { AppPlugin } from '@grafana/data';

import { App, AppSettings } from './components/App';

export const plugin = new AppPlugin<AppSettings>().setRootPage(App);
