"""casehub's built-in plugins, each loaded through the ``casehub`` entry-point group like any other."""
