"""Components, maintenance and subscribers of the public status page."""
