"""`include` as docker compose reads it (compose-spec 14-include.md; compose-go loader/include.go
at e70e961, the reference implementation) and the merge tags `!reset` / `!override`
(13-merge.md; compose-go loader/reset.go)."""
import textwrap

import pytest

from components.compose import load_stack
from components.compose.model import Secret
from components.compose.project import SecretVariable


def write(root, files):
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))


def load(root, text, variables=None, scheduler="local"):
    write(root, {"compose.yaml": text})
    return load_stack(root, "compose.yaml", "s", scheduler, {}, "platform.stacks[0]", variables or {})


def loaded(root, text, variables=None, scheduler="local"):
    stack, found = load(root, text, variables, scheduler)
    assert found == [], found
    return stack


def problems(root, text, variables=None):
    stack, found = load(root, text, variables)
    assert stack is None and found
    return {p.path: p.message for p in found}


def env(service):
    return {k: "".join(map(str, v)) for k, v in service.environment.items()}


# --- the environment an included file sees ---

def test_an_included_file_sees_the_including_projects_env_and_its_own_env_gives_defaults(tmp_path):
    """Short syntax: the included file's `.env` (beside it) defines defaults, the including
    project's environment (stack variables, then its own `.env`) overrides them."""
    write(tmp_path, {".env": "TAG=from-parent\n", "db/.env": "TAG=from-db\nPORT=5433\n",
                     "db/compose.yaml": "services: {db: {image: 'pg:${TAG}', environment: ['P=${PORT}', 'U=${USER_}']}}\n"})
    stack = loaded(tmp_path, "include: [db/compose.yaml]\nservices: {a: {image: x}}\n", {"USER_": "cfg"})
    db = stack.service("db")
    assert db.image == "pg:from-parent" and env(db) == {"P": "5433", "U": "cfg"}


def test_long_syntax_env_file_is_relative_to_the_including_file_and_must_exist(tmp_path):
    write(tmp_path, {"conf/one.env": "A=1\nB=1\n", "conf/two.env": "B=2\n",
                     "parts/app.yaml": "services: {app: {image: 'x:${A}-${B}'}}\n",
                     "parts/.env": "A=ignored\n"})
    stack = loaded(tmp_path, """
        include:
          - path: parts/app.yaml
            env_file: [conf/one.env, conf/two.env]
        services: {a: {image: x}}
        """)
    assert stack.service("app").image == "x:1-2"  # a later env file over an earlier; parts/.env not read
    found = problems(tmp_path, """
        include: [{path: parts/app.yaml, env_file: [conf/one.env, conf/missing.env]}]
        services: {a: {image: x}}
        """)
    assert list(found) == ["compose.yaml:include[0].env_file[1]"]
    assert found["compose.yaml:include[0].env_file[1]"].startswith(f"{tmp_path / 'conf/missing.env'} does not exist")


def test_env_file_dev_null_reads_no_env_file_at_all(tmp_path):
    write(tmp_path, {"parts/app.yaml": "services: {app: {image: 'x:${A:-none}'}}\n", "parts/.env": "A=1\n"})
    stack = loaded(tmp_path, "include: [{path: parts/app.yaml, env_file: /dev/null}]\nservices: {a: {image: x}}\n")
    assert stack.service("app").image == "x:none"


def test_a_secret_variable_reaches_an_included_file(tmp_path):
    write(tmp_path, {"parts/db.yaml": "services: {db: {image: pg, environment: {PW: '${PW}'}}}\n"})
    stack = loaded(tmp_path, "include: [parts/db.yaml]\nservices: {a: {image: x}}\n", {"PW": SecretVariable("dbPw")})
    assert [part.name for part in stack.service("db").environment["PW"] if isinstance(part, Secret)] == ["dbPw"]


def test_a_bare_environment_name_in_an_included_service_reads_its_files_environment(tmp_path):
    write(tmp_path, {"parts/.env": "LEVEL=debug\n", "parts/app.yaml": "services: {app: {image: x, environment: [LEVEL]}}\n"})
    stack = loaded(tmp_path, "include: [parts/app.yaml]\nservices: {a: {image: x, environment: [LEVEL]}}\n")
    assert env(stack.service("app")) == {"LEVEL": "debug"}
    assert env(stack.service("a")) == {}  # the including file's environment has no LEVEL
    assert any(w.path == "compose.yaml:services.a.environment.LEVEL" for w in stack.warnings)


def test_an_extends_base_in_another_directory_reads_the_extending_files_environment(tmp_path):
    write(tmp_path, {".env": "TAG=7\n", "common/base.yaml": "services: {b: {image: 'x:${TAG}'}}\n",
                     "common/.env": "TAG=ignored\n"})
    stack = loaded(tmp_path, "services: {a: {extends: {file: common/base.yaml, service: b}}}\n")
    assert stack.service("a").image == "x:7"


# --- path lists, project_directory ---

def test_a_path_list_is_merged_in_order_with_paths_against_the_first_files_directory(tmp_path):
    write(tmp_path, {
        "shop/compose.yaml": "services: {web: {image: w, ports: ['8080:80'], environment: {A: '1', B: '1'}}}\n",
        "overrides/web.yaml": "services: {web: {environment: {B: '2'}, volumes: ['./html:/srv']}}\n"})
    stack = loaded(tmp_path, "include: [{path: [shop/compose.yaml, overrides/web.yaml]}]\n")
    web = stack.service("web")
    assert [(p.published, p.target) for p in web.ports] == [(8080, 80)]
    assert env(web) == {"A": "1", "B": "2"}
    # 13-merge.md: relative paths of every file of the list are against the first's directory.
    assert [m.source for m in web.mounts] == [str(tmp_path / "shop/html")]


def test_project_directory_resolves_the_included_files_paths_and_holds_its_default_env(tmp_path):
    write(tmp_path, {"lib/compose.yaml": "services: {app: {image: 'a:${V}', volumes: ['./data:/d']}}\n",
                     "work/.env": "V=3\n", "lib/.env": "V=ignored\n"})
    stack = loaded(tmp_path, "include: [{path: lib/compose.yaml, project_directory: work}]\n")
    app = stack.service("app")
    assert app.image == "a:3" and [m.source for m in app.mounts] == [str(tmp_path / "work/data")]


def test_an_included_files_own_include_is_relative_to_its_project_directory(tmp_path):
    write(tmp_path, {"a/compose.yaml": "include: [b/compose.yaml]\nservices: {one: {image: x}}\n",
                     "a/b/compose.yaml": "services: {two: {image: y}}\n"})
    stack = loaded(tmp_path, "include: [a/compose.yaml]\n")
    assert {s.name for s in stack.services} == {"one", "two"}


# --- conflicts ---

def test_the_including_files_definition_is_laid_over_an_included_service(tmp_path):
    write(tmp_path, {"db.yaml": "services: {db: {image: 'pg:15', environment: {A: '1'}, ports: ['5432']}}\n"})
    stack = loaded(tmp_path, "include: [db.yaml]\nservices: {db: {image: 'pg:16', environment: {B: '2'}}}\n")
    db = stack.service("db")
    assert db.image == "pg:16" and env(db) == {"A": "1", "B": "2"} and [p.target for p in db.ports] == [5432]
    assert stack.warnings == ()


def test_a_service_the_including_file_lays_over_is_read_with_that_files_environment(tmp_path):
    """compose-go resolves `environment: [NAME]` of the merged model with the including project's
    environment; what is wrong in it is named by the including file."""
    write(tmp_path, {"parts/.env": "LEVEL=debug\n", "parts/app.yaml": "services: {app: {image: x}}\n"})
    stack = loaded(tmp_path, "include: [parts/app.yaml]\nservices: {app: {environment: [LEVEL]}}\n")
    assert env(stack.service("app")) == {}
    assert [w.path for w in stack.warnings] == ["compose.yaml:services.app.environment.LEVEL"]


def test_a_resource_the_including_file_only_names_keeps_the_included_definition(tmp_path):
    """`volumes: {data: }` (null, as volumes are often written) over an included definition lays
    nothing over it (compose-go override.MergeYaml: a nil override keeps the base)."""
    write(tmp_path, {"db.yaml": "services: {db: {image: pg, volumes: ['data:/var/lib/pg']}}\n"
                                "volumes: {data: {labels: {backup: daily}}}\n"})
    stack = loaded(tmp_path, "include: [db.yaml]\nservices: {a: {image: x, volumes: ['data:/d']}}\nvolumes:\n  data:\n")
    assert dict(stack.volumes["data"].labels) == {"backup": "daily"}
    # And the other way: an included resource that is only named takes the including file's.
    write(tmp_path, {"db.yaml": "services:\n  db:\n"})
    assert loaded(tmp_path, "include: [db.yaml]\nservices: {db: {image: pg}}\n").service("db").image == "pg"


def test_two_includes_of_the_same_service_warn_when_they_differ_and_the_first_wins(tmp_path):
    write(tmp_path, {"one/compose.yaml": "services: {cache: {image: redis:7, environment: [LEVEL]}}\n",
                     "one/.env": "LEVEL=one\n", "two/.env": "LEVEL=two\n",
                     "two/compose.yaml": "services: {cache: {image: redis:6, environment: [LEVEL]}}\n",
                     "same/compose.yaml": "services: {cache: {image: redis:7, environment: [LEVEL]}}\n"})
    stack = loaded(tmp_path, "include: [one/compose.yaml, two/compose.yaml]\nservices: {a: {image: x}}\n")
    cache = stack.service("cache")
    assert cache.image == "redis:7" and env(cache) == {"LEVEL": "one"}  # the first's, with its variables
    assert [(w.path, w.message) for w in stack.warnings] == [(
        "compose.yaml:include[1]", "two/compose.yaml defines services.cache, as one/compose.yaml does: the first "
        "include's is laid over it, as docker compose does; rename one if they are two things")]
    same = loaded(tmp_path, "include: [one/compose.yaml, same/compose.yaml]\nservices: {a: {image: x}}\n")
    assert same.warnings == ()


# --- !reset and !override ---

def test_reset_and_override_tags_in_an_including_file(tmp_path):
    write(tmp_path, {"app.yaml": "services: {app: {image: a, ports: ['8080:80'], environment: {FOO: bar, K: v},"
                                 " labels: {x: '1'}}}\n"})
    stack = loaded(tmp_path, """
        include: [app.yaml]
        services:
          app:
            ports: !override ['8443:443']
            environment: {FOO: !reset null}
            labels: !reset {}
        """)
    app = stack.service("app")
    assert [(p.published, p.target) for p in app.ports] == [(8443, 443)]
    assert env(app) == {"K": "v"} and app.labels == {}


def test_override_on_a_whole_resource_replaces_it(tmp_path):
    write(tmp_path, {"app.yaml": "services: {app: {image: a, ports: ['8080:80']}}\n"})
    stack = loaded(tmp_path, "include: [app.yaml]\nservices: {app: !override {image: b}}\n")
    assert stack.service("app").image == "b" and stack.service("app").ports == ()


def test_reset_in_an_extending_service_clears_the_bases_value(tmp_path):
    stack = loaded(tmp_path, """
        services:
          base: {image: a, ports: ['80'], environment: {A: '1', B: '2'}}
          app: {extends: base, ports: !reset [], environment: {A: !reset null}}
        """)
    assert stack.service("app").ports == () and env(stack.service("app")) == {"B": "2"}
    assert [p.target for p in stack.service("base").ports] == [80]


def test_a_reset_tag_in_a_file_with_nothing_under_it_leaves_the_key_out(tmp_path):
    stack = loaded(tmp_path, "services: {a: {image: x, ports: !reset ['80'], command: !override [sh, -c, 'true']}}\n")
    assert stack.service("a").ports == ()
    assert stack.service("a").command == (("sh",), ("-c",), ("true",))


def test_override_keeps_yaml_1_2_scalars(tmp_path):
    stack = loaded(tmp_path, "services: {a: {image: x, environment: {N: !override 010, Y: !override yes}}}\n")
    assert env(stack.service("a")) == {"N": "010", "Y": "yes"}


# --- wrong include entries: named, and nothing half-included ---

@pytest.mark.parametrize("include, where, says", [
    ("include: parts.yaml", "include", "expected a list: of Compose files, or of mappings with `path`"),
    ("include: [{env_file: a.env}]", "include[0]", "has no `path`: name the Compose file to include"),
    ("include: [{path: a.yaml, files: b}]", "include[0].files", "is not an include key; an include takes path, "
                                                                 "env_file, project_directory"),
    ("include: [{path: []}]", "include[0].path", "expected a path or a non-empty list of paths; got []"),
    ("include: [{path: [a.yaml, 3]}]", "include[0].path[1]", "expected a path; got 3"),
    ("include: [{path: a.yaml, env_file: {x: 1}}]", "include[0].env_file", "expected a path or a non-empty list"),
    ("include: [{path: a.yaml, project_directory: [x]}]", "include[0].project_directory", "expected a directory path"),
    ("include: [3]", "include[0]", "expected a file path or a mapping with `path`; got 3"),
    ("include: [{path: nowhere.yaml}]", "include[0].path", "nowhere.yaml does not exist"),
    ("include: [{path: [a.yaml, nowhere.yaml]}]", "include[0].path[1]", "nowhere.yaml does not exist"),
    ("include: [{path: a.yaml, env_file: conf}]", "include[0].env_file", "is a directory; name a file"),
    ("include: ['${PARTS}/a.yaml']", "include[0]", "variable PARTS is not set"),
])
def test_a_wrong_include_entry_is_named_at_its_key_and_nothing_of_it_is_included(tmp_path, include, where, says):
    (tmp_path / "conf").mkdir()
    write(tmp_path, {"a.yaml": "services: {inc: {image: y}}\n"})
    found = problems(tmp_path, include + "\nservices: {a: {image: x}}\n")
    assert list(found) == [f"compose.yaml:{where}"], found
    assert says in found[f"compose.yaml:{where}"]


def test_an_include_cycle_through_a_path_list_is_named(tmp_path):
    write(tmp_path, {"b.yaml": "include: [{path: [c.yaml, compose.yaml]}]\nservices: {b: {image: y}}\n",
                     "c.yaml": "services: {c: {image: z}}\n"})
    found = problems(tmp_path, "include: [b.yaml]\nservices: {a: {image: x}}\n")
    assert found["b.yaml:include[0].path[1]"] == "compose.yaml includes itself (through compose.yaml -> b.yaml)"


# --- merge rules (13-merge.md): shared by extends, path lists and includes ---

def test_a_merge_replaces_healthcheck_test_and_appends_nested_lists(tmp_path):
    stack = loaded(tmp_path, """
        services:
          base:
            image: a
            healthcheck: {test: [CMD, check-a], retries: 2}
            deploy: {placement: {constraints: [node.labels.zone==a]}}
          app:
            extends: base
            healthcheck: {test: [CMD, check-b], interval: 5s}
            deploy: {placement: {constraints: [node.labels.disk==ssd]}}
        """, scheduler="swarm")
    app = stack.service("app")
    assert app.health.test == ("CMD", "check-b") and app.health.retries == 2 and app.health.interval_s == 5
    assert app.constraints == ("node.labels.zone==a", "node.labels.disk==ssd")


def test_what_no_scheduler_honours_in_an_included_file_is_named_by_that_file(tmp_path):
    write(tmp_path, {"ai.yaml": "models: {m: {model: ai/smollm2}}\nservices: {chat: {image: c}}\n"})
    found = problems(tmp_path, "include: [ai.yaml]\nservices: {a: {image: x}}\n")
    assert found == {"ai.yaml:models": "is not supported: AI models need a model runner, which no scheduler here has"}


def test_a_reference_reaches_a_service_of_any_file_of_the_project(tmp_path):
    """`${db.host}` names a service wherever the project defines it: in an include (from the
    including file), in the including file (from an include), in a sibling include."""
    write(tmp_path, {"db.yaml": "services: {db: {image: pg, expose: ['5432'], environment: {CFG: '${cfg.host}'}}}\n",
                     "api.yaml": "services: {api: {image: a, expose: ['80'], environment: {DB: '${db.host}:${db.port}'}}}\n"})
    stack = loaded(tmp_path, "include: [api.yaml, db.yaml]\n"
                             "services: {web: {image: w, environment: {API: 'http://${api.host}:${api.port.80}'}},"
                             " cfg: {image: c}}\n", scheduler="swarm")

    def refs(service, variable):
        return [p.service for p in stack.service(service).environment[variable] if hasattr(p, "service")]
    assert refs("api", "DB") == ["db", "db"]  # a sibling include's
    assert refs("web", "API") == ["api", "api"]  # an include's, from the including file
    assert refs("db", "CFG") == ["cfg"]  # the including file's, from an include
    assert [s.name for s in stack.services][:2] == ["cfg", "db"]  # and ordered by them
