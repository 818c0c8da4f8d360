"""Registries: named things that modules add as they are imported.

The benchmarks (``vidgen_tf.bench.BENCHMARKS``), the training recipes
(``vidgen_tf.training.recipes.RECIPES``) and the exercises of the course
(``vidgen_tf.course.checks.EXERCISES``) are each a ``Registry``: a read-only mapping from a
name to what was registered under it, filled by ``register`` calls in the modules that define
the things, with a lookup whose error names every known entry. A registry can import its
built-in modules itself, on the first lookup, so that ``get`` works without importing them
first.

Example:
    RECIPES = Registry("recipe", load=import_builtin_recipes)
    RECIPES.register("vae", vae_recipe)
    RECIPES.get("vea")     # UnknownName: Unknown recipe 'vea'; choose one of gan, vae.
"""

from __future__ import annotations

from collections.abc import Mapping


class UnknownName(KeyError, ValueError):
    """A name no entry is registered under. Both a ``KeyError`` (a failed lookup in a
    mapping) and a ``ValueError`` (a wrong argument), so that callers catching either keep
    working; its message is printed without the quotes ``KeyError`` adds."""

    def __str__(self):
        return str(self.args[0]) if self.args else ""


class Registry(Mapping):
    """A mapping ``name -> entry`` filled by ``register``.

    Args:
        kind: str. What the entries are (``"benchmark"``, ``"recipe"``), for messages.
        replace: bool. Registering a name again replaces its entry (e.g. a notebook cell
            that registers a recipe, run twice); False: it is an error (two modules
            claiming one name).
        load: optional callable importing the modules that register the built-in entries;
            called once, at the first lookup (``get``, ``in``, iteration, ``len``).

    Example:
        BENCHMARKS = Registry("benchmark")
        BENCHMARKS.register("data_generation", bench)
        sorted(BENCHMARKS)                      # ["data_generation"]
        BENCHMARKS.get("data_generation")       # bench
    """

    def __init__(self, kind, replace=False, load=None):
        self.kind = str(kind)
        self.replace = bool(replace)
        self.load_builtin = load
        self._entries = {}
        self._loaded = load is None

    def register(self, name, entry):
        """Register ``entry`` under ``name`` and return it (so that it can end a decorator).

        Raises:
            ValueError: ``name`` is taken and the registry does not replace entries.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"A {self.kind} needs a non-empty string name, got {name!r}.")
        if name in self._entries and not self.replace:
            raise ValueError(f"{self.kind.capitalize()} {name!r} is registered twice.")
        self._entries[name] = entry
        return entry

    def load(self):
        """Import the built-in entries' modules (once); return the registry."""
        if not self._loaded:
            self._loaded = True        # first: a module being loaded may look entries up
            try:
                self.load_builtin()
            except BaseException:
                self._loaded = False   # the next lookup raises the import error again
                raise
        return self

    def get(self, name):
        """The entry registered under ``name`` (unlike ``dict.get``, never None).

        Raises:
            UnknownName: (a ``KeyError`` and a ``ValueError``) no such entry; the message
                lists the known names.
        """
        return self[name]

    def names(self):
        """The registered names, sorted."""
        return sorted(self.load()._entries)

    def __getitem__(self, name):
        self.load()
        if name not in self._entries:
            known = ", ".join(sorted(self._entries)) or f"no {self.kind} is registered"
            raise UnknownName(f"Unknown {self.kind} {name!r}; choose one of {known}.")
        return self._entries[name]

    def __contains__(self, name):
        return name in self.load()._entries

    def __iter__(self):
        return iter(self.names())

    def __len__(self):
        return len(self.load()._entries)

    def __repr__(self):
        return f"Registry({self.kind!r}: {', '.join(sorted(self._entries))})"
