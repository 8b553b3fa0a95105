"""aftercare. Every process that runs the package's code masks phone numbers in its logs."""

from bot import log_privacy

log_privacy.install()
