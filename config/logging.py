"""Log records as JSON lines on standard output: time, level, logger, message, and for requests method, path, status."""

import json
import logging
from datetime import UTC, datetime

# Attributes that every LogRecord has; anything else a caller passes with extra= is added to the line,
# except the request objects that Django attaches (their bodies may hold passwords and personal data).
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_NEVER = {"request", "server_time"}


class JsonLinesFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "method"):
            line["method"] = request.method
            line["path"] = getattr(request, "path", "")
        for key, value in vars(record).items():
            if key in _STANDARD or key in _NEVER or key.startswith("_"):
                continue
            line[key] = value if isinstance(value, str | int | float | bool | type(None)) else str(value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)
