import { runMain } from '@orderflow/shared';
import { readConfig, start } from './service';

runMain(() => start(readConfig(process.env)));
