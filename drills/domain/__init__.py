"""Pure logic of the drills app: no Django import, no I/O, time passed in."""
