// Nothing: the crate exists so that cargo builds its dependencies.
