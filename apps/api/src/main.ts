import { Logger } from '@nestjs/common';
import { ConfigError, installProcessGuards } from '@ssync/common';
import { bootstrapApi } from './bootstrap';

installProcessGuards('Api');
bootstrapApi().catch((error: unknown) => {
  new Logger('Bootstrap').error(
    error instanceof ConfigError
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error),
  );
  process.exit(1);
});
