"""Pure maths of the releases app (no Django, no I/O, no clock reads): policy values (``policy``), threshold
crossings once per window (``notices``), the deploy gate (``gate``) and the release-burn decision (``burn``)."""
