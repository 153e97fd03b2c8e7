// Infrastructure tests wait on real brokers and databases; their own waits carry tighter deadlines.
jest.setTimeout(Number(process.env.TEST_TIMEOUT_MS ?? 180_000));
