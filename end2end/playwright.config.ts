import { defineConfig, devices } from '@playwright/test';

// Debian's Chromium: a test tool's own browser download cannot work on our machines.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PORT = Number(process.env.E2E_PORT ?? 3411);

export default defineConfig({
  testDir: './tests',
  outputDir: './out/test-results',
  timeout: 30_000,
  workers: 1, // 2-core machines
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'phone',
      use: {
        ...devices['Pixel 7'],
        browserName: 'chromium',
        launchOptions: { executablePath: CHROMIUM, args: FLAGS },
      },
    },
  ],
  webServer: {
    // A fresh SQLite database with demo data, served by the release build.
    command: `bash ./serve-fresh.sh ${PORT}`,
    url: `http://127.0.0.1:${PORT}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
