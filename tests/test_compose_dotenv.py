"""`.env` files and interpolation, against docker compose's reference implementation.

The `.env` fixtures are compose-go's own (../shared/reference/upstream/compose-go/dotenv/fixtures);
the expected values are those its tests assert (compose-go dotenv/godotenv_test.go, e.g.
TestLoadPlainEnv, TestLoadQuotedEnv, TestSubstitutions), and the interpolation cases follow the
Compose Specification's interpolation section and compose-go template/template.go.
"""
import re

import pytest

from components.compose import dotenv, yaml12
from components.compose.interpolate import InterpolationError, Verbatim, substitute

from .contracts import REFERENCE

FIXTURES = REFERENCE / "upstream" / "compose-go" / "dotenv" / "fixtures"
PLAIN = {"OPTION_A": "1", "OPTION_B": "2", "OPTION_C": "3", "OPTION_D": "4", "OPTION_E": "5", "456": "ABC",
         "OPTION_F": "", "OPTION_G": "", "OPTION_H": "my string"}


@pytest.mark.parametrize("fixture, expected", [
    ("plain.env", PLAIN),
    ("utf8-bom.env", PLAIN),
    ("exported.env", {"OPTION_A": "2", "OPTION_B": "\\n"}),
    ("equals.env", {"OPTION_A": "postgres://localhost:5432/database?sslmode=disable"}),
    ("quoted.env", {"OPTION_A": "1", "OPTION_B": "2", "OPTION_C": "", "OPTION_D": "\\n", "OPTION_E": "1",
                    "OPTION_F": "2", "OPTION_G": "", "OPTION_H": "\n", "OPTION_I": "echo 'asd'",
                    "OPTION_J": "first line\nsecond line\nthird line\nand so on", "OPTION_K": "Let's go!",
                    "OPTION_Z": "last value"}),
    ("unquoted.env", {"OPTION_A": "some quoted phrase", "OPTION_B": "first one with an unquoted phrase",
                      "OPTION_C": "then another one with an unquoted phrase",
                      "OPTION_D": "then another one with an unquoted phrase special è char",
                      "OPTION_E": "then another one quoted phrase"}),
    ("substitutions.env", {"OPTION_A": "1", "OPTION_B": "1", "OPTION_C": "1", "OPTION_D": "1_1", "OPTION_E": ""}),
    ("substitutions-default.env", {"OPTION_A": "1", "OPTION_B": "1", "OPTION_C": "1", "OPTION_D": "1_1",
                                   "OPTION_E": ""}),
    ("special.env", {"VAR.WITH.DOTS": "dots", "VAR_WITH_UNDERSCORES": "underscores", "VAR-WITH-DASHES": "dashes"}),
    ("inherited-single-var.env", {"VAR_TO_BE_LOADED_FROM_OS_ENV": "from the caller"}),
    ("inherited-multi-var.env", {"foo": "bar", "VAR_TO_BE_LOADED_FROM_OS_ENV": "from the caller", "bar": "baz"}),
    ("inherited-not-found.env", {}),
])
def test_compose_go_dotenv_fixtures(fixture, expected):
    caller = {"VAR_TO_BE_LOADED_FROM_OS_ENV": "from the caller"}
    assert dotenv.parse((FIXTURES / fixture).read_text(), caller.get) == expected


def test_an_unexpected_character_in_a_name_is_named():
    with pytest.raises(dotenv.DotenvError, match=re.escape("line 2: unexpected character '$' in variable name 'A$B'")):
        dotenv.parse("OK=1\nA$B=2\n")


def test_yaml_1_2_hex_and_octal_numbers_have_their_values():
    doc = yaml12.load("a: 0x1F\nb: 0o17\nc: 017")
    assert (doc["a"], doc["b"], doc["c"]) == (31, 15, 17)


def test_an_invalid_dotenv_line_is_an_error_with_its_line():
    with pytest.raises(dotenv.DotenvError, match="line"):
        dotenv.parse((FIXTURES / "invalid1.env").read_text())
    with pytest.raises(dotenv.DotenvError, match="unterminated"):
        dotenv.parse('A="never closed\n')
    # Named where the quote opens, not at the end of the file where it was noticed.
    with pytest.raises(dotenv.DotenvError, match="^line 2: unterminated quoted value 'open"):
        dotenv.parse("A=1\nB='open\nC=2\nD=3\n")


@pytest.mark.parametrize("text, line", [
    ("A=1\n\n# a comment\n  # an indented one\nB C=2\n", 5),
    ("\n\n\nA=1\nB C=2", 5),
    ('A="two\nlines"\nB=ok\n\nB C=1\n', 5),
    ("# first\n# second\nB C=1\nD=2\n\n\n", 3),
    ("INHERITED\nB C=1\n", 2),  # a bare name (the caller's value) is a line too
])
def test_the_error_names_the_line_counted_over_blank_lines_comments_and_quoted_newlines(text, line):
    with pytest.raises(dotenv.DotenvError, match=f"^line {line}: 'B C' is not a variable name"):
        dotenv.parse(text)


@pytest.mark.parametrize("text, escapes, expected", [
    # compose-go's TestExpandVariables-style cases: the caller's value wins over the file's.
    ('FOO=test\nBAR=$FOO', {}, {"FOO": "test", "BAR": "test"}),
    ('FOO=test\nBAR=${FOO}bar', {}, {"FOO": "test", "BAR": "testbar"}),
    ('BAR=$FOO', {}, {"BAR": ""}),
    ('FOO=test\nBAR="quote $FOO"', {}, {"FOO": "test", "BAR": "quote test"}),
    ("BAR='quote $FOO'", {}, {"BAR": "quote $FOO"}),
    ('FOO="foo\\$BAR"', {}, {"FOO": "foo$BAR"}),
    ('FOO=x\nBAR=${FOO}', {"FOO": "caller"}, {"FOO": "x", "BAR": "caller"}),
    ('A="tab\\there"', {}, {"A": "tab\there"}),
    ('A="\\0101\\0\\01"', {}, {"A": "A\0\x01"}),  # octal escapes, and \0 alone a NUL
])
def test_dotenv_expansion(text, escapes, expected):
    assert dotenv.parse(text, escapes.get) == expected


VARS = {"SET": "value", "EMPTY": "", "TAG": "1.27"}


@pytest.mark.parametrize("template, expected", [
    ("$SET", "value"), ("${SET}", "value"), ("x${SET}y", "xvaluey"), ("$$SET", "$SET"), ("costs $5", "costs $5"),
    ("${UNSET:-default}", "default"), ("${EMPTY:-default}", "default"), ("${EMPTY-default}", ""),
    ("${UNSET-default}", "default"), ("${SET:+alt}", "alt"), ("${EMPTY:+alt}", ""), ("${EMPTY+alt}", "alt"),
    ("${UNSET+alt}", ""), ("${UNSET:-${SET}}", "value"), ("${UNSET:-${ALSO_UNSET:-deep}}", "deep"),
    ("nginx:${TAG:-1.25}", "nginx:1.27"), ("${SET:?must be set}", "value"), ("${EMPTY?may be empty}", ""),
])
def test_interpolation(template, expected):
    assert substitute(template, VARS.get) == expected


@pytest.mark.parametrize("template, says", [
    ("${UNSET}", "variable UNSET is not set"),
    ("${UNSET:?give it}", "required variable UNSET is missing a value: give it"),
    ("${EMPTY:?give it}", "required variable EMPTY is missing a value"),
    ("${UNSET?}", "required variable UNSET is missing a value"),
    ("${not closed", "no closing brace"),
    ("${1abc}", "is not a variable"),
])
def test_interpolation_errors(template, says):
    with pytest.raises(InterpolationError, match=says.replace("?", "\\?")):
        substitute(template, VARS.get)


@pytest.mark.parametrize("template, says", [
    ("${UNSET:?}", "required variable UNSET is missing a value"),  # no reason: nothing after it
    ("${EMPTY?}", None), ("${EMPTY:?}", "required variable EMPTY is missing a value"),
    ("${UNSET?why}", "required variable UNSET is missing a value: why"),
])
def test_a_required_variable_says_exactly_its_reason(template, says):
    if says is None:
        assert substitute(template, VARS.get) == ""
        return
    with pytest.raises(InterpolationError) as e:
        substitute(template, VARS.get)
    assert str(e.value) == says


@pytest.mark.parametrize("template", ["${UNSET:-$ALSO}", "${UNSET-${ALSO}}", "${SET:+$ALSO}", "${SET+${ALSO}}"])
def test_a_variable_nested_in_a_default_or_alternative_is_unset_as_the_caller_says(template):
    # docker compose warns and substitutes "" there as anywhere; the caller decides, nested too.
    assert substitute(template, VARS.get, unset=lambda name: f"<{name} unset>") == "<ALSO unset>"


def test_template_mode_keeps_references_and_escapes_substituted_dollars():
    is_ref = {"db.host", "db.port", "secret.pw"}.__contains__
    values = {"PRICE": "$5", "PW": Verbatim("${secret.pw}")}
    assert substitute("${db.host}:${db.port} $$HOME ${PRICE} ${PW}", values.get, template=True,
                      is_reference=is_ref) == "${db.host}:${db.port} $$HOME $$5 ${secret.pw}"
    # Outside template fields a reference is not a variable.
    with pytest.raises(InterpolationError, match="not a service reference"):
        substitute("${db.host}", values.get)


@pytest.mark.parametrize("text, expected", [
    ("a: no", "no"), ("a: yes", "yes"), ("a: on", "on"), ("a: 010", "010"), ("a: 0o10", "0o10"), ("a: 1.10", "1.10"),
    ("a: 12:30", "12:30"), ("a: true", "true"), ("a: True", "true"), ("a: 2001-12-14", "2001-12-14"), ("a: 0x1F", "0x1F"),
])
def test_yaml_1_2_scalars_keep_their_text(text, expected):
    assert yaml12.source_text(yaml12.load(text)["a"]) == expected


def test_yaml_1_2_types():
    doc = yaml12.load("a: no\nb: 010\nc: 0o10\nd: 1e3\ne: TRUE\nf: ~\nx: &x {p: 1}\ny: {<<: *x, q: 2}")
    assert doc["a"] == "no" and doc["b"] == 10 and doc["c"] == 8 and doc["d"] == 1000.0 and doc["e"] is True
    assert doc["f"] is None and doc["y"] == {"p": 1, "q": 2}


# compose-go's own expectations of its template engine (template/template_test.go at e70e961:
# TestEscaped, TestUnescaped, TestNonBraced, TestNoValueNoDefault, TestPresentValue*,
# TestNonAlphanumericDefault, TestInterpolationExternalInterference, TestDefaultsWithNestedExpansion,
# TestDefaultsForMandatoryVariables), over its mapping; an unset variable is "" there (docker
# compose warns).
COMPOSE_GO = {"FOO": "first", "BAR": "", "JSON": '{"json":2}'}


@pytest.mark.parametrize("template, expected", [
    ("$${foo}", "${foo}"), ("foo", "foo"), ("a $ string", "a $ string"), ("^REGEX$", "^REGEX$"), ("$}", "$}"),
    ("$", "$"), ("$FOO-bar", "first-bar"), ("This ${missing} var", "This  var"), ("This ${BAR} var", "This  var"),
    ("This $FOO var", "This first var"), ("ok ${missing-def}", "ok def"), ("${A:+${A},}B", "B"),
    ("ok ${BAR:-def}", "ok def"), ("ok ${FOO:-def}", "ok first"), ("ok ${BAR-def}", "ok "),
    ("ok ${UNSET_VAR:+presence_value}", "ok "), ("ok ${UNSET_VAR+presence_value}", "ok "),
    ("ok ${FOO:+presence_value}", "ok presence_value"), ("ok ${FOO+presence_value}", "ok presence_value"),
    ("ok ${BAR+presence_value}", "ok presence_value"), ("ok ${BAR:+presence_value}", "ok "),
    ("ok ${BAR:-/non:-alphanumeric}", "ok /non:-alphanumeric"), ("+ok ${UNSET:-${BAR-defaultValue}}", "+ok "),
    (":?ok ${BAR:-defaultValue}", ":?ok defaultValue"), (":+ok ${BAR:-defaultValue}", ":+ok defaultValue"),
    ("ok ${UNSET_VAR-$FOO}", "ok first"), ("ok ${UNSET_VAR-${FOO} ${FOO}}", "ok first first"),
    ("ok ${BAR:-${FOO} ${FOO}}", "ok first first"), ("ok ${BAR+$FOO ${FOO:+second}}", "ok first second"),
    ("ok ${FOO:?err}", "ok first"), ("ok ${BAR?err}", "ok "), ("${JSON}", '{"json":2}'),
])
def test_compose_go_template_cases(template, expected):
    assert substitute(template, COMPOSE_GO.get, unset=lambda _: "") == expected


@pytest.mark.parametrize("template, says", [
    ("${", "no closing brace"), ("${}", "is not a variable"), ("${ }", "is not a variable"),
    ("${ foo}", "is not a variable"), ("${foo }", "is not a variable"), ("${foo!}", "is not a variable"),
    ("not ok ${UNSET_VAR:?Mandatory Variable ${FOO}}", "required variable UNSET_VAR is missing a value: Mandatory Variable first"),
    ("not ok ${BAR:?Mandatory Variable Empty}", "required variable BAR is missing a value: Mandatory Variable Empty"),
    ("not ok ${UNSET_VAR?Mandatory Variable ${FOO}}", "required variable UNSET_VAR is missing a value: Mandatory Variable first"),
])
def test_compose_go_invalid_and_mandatory_templates(template, says):
    # (TestInvalid, TestMandatoryVariableErrors, TestMandatoryVariableErrorsWithNestedExpansion)
    with pytest.raises(InterpolationError, match=re.escape(says)):
        substitute(template, COMPOSE_GO.get, unset=lambda _: "")
