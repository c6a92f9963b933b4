"""``python -m odooops.mailcatch``: run the mail catcher until SIGTERM/SIGINT (settings from ODOOOPS_*)."""
from __future__ import annotations

import logging
import signal
import threading

from .. import settings
from .server import controller


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)     # aiosmtpd's per-command log
    config = settings.current()
    catcher = controller(config.state_dir, config.sealing_key_file, config.mail_catcher_port)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    catcher.start()
    logging.getLogger(__name__).info("mail catcher on %s:%s", catcher.hostname, catcher.port)
    try:
        stop.wait()
    finally:
        catcher.stop()


if __name__ == "__main__":
    main()
