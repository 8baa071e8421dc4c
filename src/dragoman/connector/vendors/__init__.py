"""Translation vendors of the content connector: the interface (`base`), and one module per kind
(`local`: Dragoman's own batch jobs). `registry` builds the vendors a service offers from its
settings."""

from dragoman.connector.vendors.base import CancelAnswer, Delivery, Vendor, VendorState, VendorStatus
from dragoman.connector.vendors.local import LocalVendor

__all__ = ["CancelAnswer", "Delivery", "LocalVendor", "Vendor", "VendorState", "VendorStatus"]
