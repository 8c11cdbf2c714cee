"""scripts/mutation.py's list of equivalent mutants keeps meaning what it says when components/
changes: mutmut renumbers a function's mutants, so a listed number can come to name another
mutant, which must then be judged rather than skipped."""
import textwrap

from scripts import mutation

MODULE = textwrap.dedent('''
    def x_f__mutmut_orig(a):
        return a + 1

    def x_f__mutmut_1(a):
        return a - 1

    def x_f__mutmut_2(a):
        return a + 2

    def x_h__mutmut_orig(a=1):
        return a

    def x_h__mutmut_1(a=2):
        return a

    class C:
        def xǁCǁg__mutmut_orig(self):
            return "on"

        def xǁCǁg__mutmut_1(self):
            return "XXonXX"
    ''')


def test_a_listed_mutant_is_skipped_only_while_it_is_the_mutant_its_line_describes(tmp_path, monkeypatch, capsys):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text(MODULE, encoding="utf-8")
    monkeypatch.setattr(mutation, "MUTANTS", tmp_path)
    mutation._functions.cache_clear()
    assert mutation.change("pkg.x_f__mutmut_1") == "-     return a + 1\n+     return a - 1"
    assert mutation.change("pkg.xǁCǁg__mutmut_1") == '-         return "on"\n+         return "XXonXX"'  # a method, in its class
    assert mutation.change("pkg.x_h__mutmut_1") == "- def f(a=1):\n+ def f(a=2):"  # a default, on the def line
    listed = {"pkg.x_f__mutmut_1": (mutation.fingerprint("pkg.x_f__mutmut_1"), "why"),
              "pkg.x_f__mutmut_2": (mutation.fingerprint("pkg.x_f__mutmut_1"), "the reason of another mutant"),
              "pkg.x_f__mutmut_3": ("00000000", "gone")}
    every = ["pkg.x_f__mutmut_1", "pkg.x_f__mutmut_2", "pkg.xǁCǁg__mutmut_1"]
    assert mutation.still_equivalent(listed, every) == {"pkg.x_f__mutmut_1": "why"}
    said = capsys.readouterr().out
    assert f"pkg.x_f__mutmut_2 is now #{mutation.fingerprint('pkg.x_f__mutmut_2')}" in said
    assert "+     return a + 2" in said
    assert "names pkg.x_f__mutmut_3, which no longer exists: remove the line" in said
    mutation._functions.cache_clear()


def test_every_line_of_the_list_has_a_fingerprint_and_a_reason():
    for name, (mark, reason) in mutation.equivalent().items():
        assert len(mark) == 8 and int(mark, 16) >= 0 and reason, name
