"""casehub: wire customer-service tools together through plugins.

For plugin authors, the whole surface is::

    from casehub import hookimpl            # mark hook implementations
    from casehub import require             # declare a vendor SDK your plugin needs
    from casehub.model import Case, CaseDraft, Event
    from casehub.outbox import Delivery, DeliveryResult

See ``casehub.hookspecs`` for every hook and ``casehub.testing`` for fixtures.
"""

from importlib.metadata import PackageNotFoundError, version

from casehub.hookspecs import hookimpl
from casehub.loader import require

try:
    __version__ = version("casehub")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__", "hookimpl", "require"]
