// Tests that spawn service processes run the compiled build, as production does: build dist/
// first when it is missing or older than the sources.
import { ensureBuilt } from '../../scripts/build';

export default function build(): void {
  ensureBuilt();
}
