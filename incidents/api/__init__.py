"""API of the incidents app."""
