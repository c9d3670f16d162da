"""The console window and its pages (one module per page), built when the window first opens."""
