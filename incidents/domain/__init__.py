"""Pure logic of the incidents app: no Django imports, no I/O, time passed in."""
