"""The registry shared by the benchmarks, the recipes and the exercises: registration,
lookups whose errors name every entry, duplicates, lazy import of the built-ins."""

import pytest

from vidgen_tf.registry import Registry, UnknownName


def test_register_get_and_iterate_in_name_order():
    registry = Registry("recipe")
    assert registry.register("vae", 1) == 1
    registry.register("gan", 2)
    assert registry.get("vae") == 1 and registry["gan"] == 2
    assert list(registry) == registry.names() == ["gan", "vae"]
    assert len(registry) == 2 and "gan" in registry and "dit" not in registry
    assert dict(registry.items()) == {"gan": 2, "vae": 1}


def test_unknown_name_lists_the_known_ones():
    registry = Registry("benchmark")
    with pytest.raises(UnknownName) as error:
        registry.get("anything")
    assert str(error.value) == "Unknown benchmark 'anything'; choose one of no benchmark " \
                               "is registered."
    registry.register("vae", 1)
    registry.register("gan", 2)
    for kind in (KeyError, ValueError):             # callers catching either keep working
        with pytest.raises(kind, match=r"^Unknown benchmark 'dit'; choose one of gan, vae\.$"):
            registry.get("dit")


def test_duplicates_are_errors_unless_the_registry_replaces():
    strict = Registry("benchmark")
    strict.register("gan", 1)
    with pytest.raises(ValueError, match="Benchmark 'gan' is registered twice"):
        strict.register("gan", 2)
    assert strict.get("gan") == 1
    replacing = Registry("recipe", replace=True)
    replacing.register("gan", 1)
    replacing.register("gan", 2)
    assert replacing.get("gan") == 2
    with pytest.raises(ValueError, match="non-empty string name"):
        strict.register("", 3)


def test_builtin_entries_are_loaded_once_at_the_first_lookup():
    calls = []

    def load():
        calls.append(1)
        registry.register("builtin", "b")
        assert "builtin" in registry               # a module being loaded may look up

    registry = Registry("exercise", load=load)
    registry.register("early", "e")                # registering does not load
    assert calls == []
    assert registry.get("builtin") == "b" and calls == [1]
    assert registry.names() == ["builtin", "early"] and len(registry) == 2 and calls == [1]


def test_a_failed_import_of_the_builtins_is_raised_again():
    def load():
        raise ImportError("no module named lesson99")

    registry = Registry("exercise", load=load)
    for _ in range(2):
        with pytest.raises(ImportError, match="lesson99"):
            registry.get("9.9")


def test_the_package_registries():
    from vidgen_tf.bench import BENCHMARKS, benchmark
    from vidgen_tf.course.checks import EXERCISES, Exercise
    from vidgen_tf.training.recipes import RECIPES, Recipe, get_recipe

    assert all(isinstance(r, Registry) for r in (BENCHMARKS, EXERCISES, RECIPES))
    assert isinstance(EXERCISES.get("0.1"), Exercise) and "2.4" in EXERCISES
    assert {"gan", "vae", "vae-digits-1-32"} <= set(RECIPES)
    assert isinstance(get_recipe("gan"), Recipe) and get_recipe(RECIPES["vae"]) is RECIPES["vae"]
    with pytest.raises(ValueError, match=r"Unknown recipe 'gna'; choose one of "
                                         r"convlstm, frame-vae-beta1, [^;]*gan, mocogan, simvp, "
                                         r"sprite-vae, "):
        get_recipe("gna")
    assert BENCHMARKS.get("gan").description.startswith("Lesson 02")     # loads them
    with pytest.raises(ValueError, match="Benchmark 'gan' is registered twice"):
        benchmark("gan", "again")(lambda quick=False: {})
