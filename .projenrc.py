"""Project definition: the source of truth for every file projen generates.

Run ``python .projenrc.py`` (or ``./scripts/test``, which does it for you) after editing.

The version lives here and nowhere else: it goes into pyproject.toml, hence into the wheel's
metadata; CHANGELOG.md has a section for it (a test checks that they agree).
"""

from projen.github import GitHub, GithubWorkflow
from projen.github.workflows import (
    Job,
    JobMatrix,
    JobPermission,
    JobPermissions,
    JobStep,
    JobStrategy,
)
from projen.python import PythonProject

PROJEN_VERSION = "0.103.25"  # npm serves this release; the Python and npm sides must match
PUBLIB_VERSION = "0.2.1061"  # the npm release tool; the PyPI package called publib is unrelated
VERSION = "0.1.0"
SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")
NODE_VERSION = "22"
REPOSITORY = "https://github.com/batch-pipeline-construct/batch-pipeline-construct"
"""The project's home; every URL in the package metadata starts with it."""
LINTED_PATHS = "src tests scripts examples benchmarks .projenrc.py"
OPERATOR_SCRIPT = "batch-pipeline"
# The extra `operator`: what the console script needs beyond the construct's own dependencies.
OPERATOR_DEPS = ["boto3>=1.40.0", "rich>=13.7"]

project = PythonProject(
    name="batch-pipeline-construct",
    module_name="batch_pipeline_construct",
    version=VERSION,
    description="An AWS CDK construct: files that land in S3 are processed by AWS Batch jobs built from your Dockerfile.",
    author_name="batch-pipeline-construct maintainers",
    author_email="batch-pipeline-construct@users.noreply.github.com",
    license="Apache-2.0",
    projen_command=f"npx projen@{PROJEN_VERSION}",
    uv=True,
    pip=False,
    venv=False,
    setuptools=False,
    sample=False,
    uv_options={
        "project": {
            "name": "batch-pipeline-construct",
            "requires_python": ">=3.11",
            "license_files": ["LICENSE"],
            "urls": {
                "Homepage": REPOSITORY,
                "Documentation": f"{REPOSITORY}/blob/main/API.md",
                "Repository": REPOSITORY,
                "Issues": f"{REPOSITORY}/issues",
                "Changelog": f"{REPOSITORY}/blob/main/CHANGELOG.md",
            },
            "keywords": ["aws", "aws-cdk", "cdk", "construct", "aws-batch", "s3", "pipeline"],
            "classifiers": [
                "Development Status :: 3 - Alpha",
                "Framework :: AWS CDK",
                "Framework :: AWS CDK :: 2",
                "Intended Audience :: Developers",
                "Operating System :: OS Independent",
                "Programming Language :: Python :: 3",
                "Programming Language :: Python :: 3 :: Only",
                *(f"Programming Language :: Python :: {v}" for v in SUPPORTED_PYTHONS),
                "Topic :: System :: Distributed Computing",
                "Typing :: Typed",
            ],
            # The operator commands: `pip install "batch-pipeline-construct[operator]"`.
            "scripts": {OPERATOR_SCRIPT: "batch_pipeline_construct.runtime.operator.cli:main"},
            "optional_dependencies": {"operator": OPERATOR_DEPS},
        },
        "build_system": {
            "requires": ["hatchling>=1.27"],
            "build_backend": "hatchling.build",
        },
    },
    deps=[
        "aws-cdk-lib@^2.269.0",  # the oldest with every API used (tests/packaging: floor test)
        "constructs@^10.5.0",  # what that aws-cdk-lib requires
    ],
    dev_deps=[
        f"projen@{PROJEN_VERSION}",
        "pytest@^9.0.0",
        "pytest-xdist@^3.8.0",
        "syrupy@^7.0.0",
        "moto[s3,sqs,batch,dynamodb,cloudformation,awslambda,server]@^5.2.0",
        "boto3@^1.40.0",
        "rich@^15.0.0",
        "hypothesis@^6.150.0",
        "cdk-nag@^3.0.2",
        "cfn-lint@^1.58.0",
        "aws-cdk.integ-tests-alpha@2.275.0a0",
        "mypy@^2.4.0",
        "ruff@~0.17.0",
        "boto3-stubs[s3,sqs,batch,dynamodb,lambda,sns,cloudformation]@^1.43.0",
        "twine@^7.0.0",
        "build@^1.6.0",
        "pyyaml@^6.0.0",
        "check-jsonschema@^0.39.0",
        "griffe@^2.4.1",
    ],
)

for pattern in ("/tools/node_modules/", "/.tools/", "cdk.out/", "/dist/", ".benchmarks/"):
    project.gitignore.exclude(pattern)
project.gitattributes.add_attributes("/API.md", "linguist-generated")

# ---------------------------------------------------------------------------------------------
# Tool configuration (pyproject.toml [tool.*])
# ---------------------------------------------------------------------------------------------
pyproject = project.try_find_object_file("pyproject.toml")
assert pyproject is not None
# `batch-pipeline local` serves the AWS APIs from moto's server (runtime/local).
pyproject.add_override(
    "project.optional-dependencies.local",
    ["moto[s3,sqs,batch,dynamodb,server]>=5.2.0,<6.0.0", "boto3>=1.40.0,<2.0.0"],
)
pyproject.add_override(
    "tool.pytest.ini_options",
    {
        "minversion": "9.0",
        # tests/ mirrors the package (see tests/README.md); integ/ holds the integ apps and the
        # test that synthesizes them.
        "testpaths": ["tests", "integ"],
        # The repository root, so tests (and benchmarks) import test helpers as a package
        # (tests.support, tests.runtime.runtime_pipeline, ...)
        "pythonpath": ["."],
        # Directories that hold CDK apps, build output or vendored code, never tests.
        "norecursedirs": [
            ".*",
            "*.egg-info",
            "__pycache__",
            "benchmarks",
            "build",
            "cdk.out",
            "dist",
            "examples",
            "node_modules",
            "tools",
        ],
        "addopts": ["-p", "no:cacheprovider", "--strict-markers", "--strict-config", "-ra"],
        "markers": [
            "packaging: builds the wheel and sdist once per session (slower than the rest)",
            "docker: builds and runs real job images with Docker; ./scripts/test starts the engine"
            " (scripts/docker-engine), so these run by default",
        ],
        "xfail_strict": True,
    },
)
pyproject.add_override(
    "tool.mypy",
    {
        "python_version": "3.11",
        "strict": True,
        "warn_unreachable": True,
        "files": ["src/batch_pipeline_construct", "tests/support"],
    },
)
pyproject.add_override(
    "tool.ruff",
    {
        "line-length": 100,
        "target-version": "py311",
        "extend-exclude": ["cdk.out", "tools", ".tools"],
        "lint": {"select": ["E4", "E7", "E9", "F", "I", "UP", "B"]},
    },
)
# hatchling: the wheel holds the package only; the sdist what is needed to rebuild and test it.
pyproject.add_override(
    "tool.hatch.build.targets.wheel",
    {"packages": ["src/batch_pipeline_construct"]},
)
pyproject.add_override(
    "tool.hatch.build.targets.sdist",
    {
        "include": [
            "/src/batch_pipeline_construct",
            "/tests",
            "/README.md",
            "/LICENSE",
            "/CHANGELOG.md",
            "/API.md",
        ],
        "exclude": ["__pycache__", "*.py[cod]", "cdk.out", ".hypothesis"],
    },
)

# ---------------------------------------------------------------------------------------------
# Tasks. Every task runs with the project's own tools first on PATH, as scripts/env.sh does,
# so `projen build` works without sourcing it.
# ---------------------------------------------------------------------------------------------
project.tasks.add_environment(
    "PATH",
    "$(echo $PWD/.venv/bin:$PWD/tools/node_modules/.bin:$PWD/.tools/uv/bin:$PATH)",
)
project.tasks.add_environment("VIRTUAL_ENV", "$(echo $PWD/.venv)")
project.tasks.add_environment("UV_PYTHON_DOWNLOADS", "never")
project.tasks.add_environment("CDK_DISABLE_VERSION_CHECK", "1")

test_task = project.tasks.try_find("test")
assert test_task is not None
test_task.description = "Run the test suite on every core (pytest-xdist, one file per worker)"
test_task.reset("pytest -n auto --dist loadfile -q", receive_args=True)

docgen = project.add_task(
    "docgen",
    description="Render API.md from the public API's signatures and docstrings (griffe)",
    exec="python scripts/docgen.py",
)
project.add_task(
    "docgen:check",
    description="Fail when API.md differs from a fresh render (run `projen docgen` to fix)",
    exec="python scripts/docgen.py --check",
)
lint = project.add_task(
    "lint",
    description="ruff lint and format check",
    exec=f"ruff check {LINTED_PATHS}",
)
lint.exec(f"ruff format --check {LINTED_PATHS}")
project.add_task(
    "format",
    description="Apply ruff's formatter and safe fixes",
    exec=f"ruff check --fix {LINTED_PATHS}",
).exec(f"ruff format {LINTED_PATHS}")
typecheck = project.add_task(
    "typecheck",
    description="mypy --strict on the package and the test helpers it shares with benchmarks/",
    exec="mypy --strict src/batch_pipeline_construct tests/support",
)

package = project.tasks.try_find("package")
assert package is not None
package.description = "Build the sdist and wheel into dist/ and check their metadata"
package.reset("rm -rf dist")
package.exec("uv build --python python3 --out-dir dist")
package.exec("twine check --strict dist/*.whl dist/*.tar.gz")

# `uv publish` is not how this project releases (see release.yml); keep one way to publish.
project.remove_task("publish")
project.remove_task("publish:test")

# projen locks the build task (default, pre-compile, compile, post-compile, test, package); the
# checks hook into post-compile, so `build` runs synth, docgen, lint, typecheck, test, package.
build = project.tasks.try_find("build")
assert build is not None
build.description = "Full build: synth, docgen, lint, typecheck, test, package"
post_compile = project.tasks.try_find("post-compile")
assert post_compile is not None
for check in (docgen, lint, typecheck):
    post_compile.spawn(check)

# ---------------------------------------------------------------------------------------------
# GitHub workflows
# ---------------------------------------------------------------------------------------------
github = GitHub.of(project)
assert github is not None

CHECKOUT = "actions/checkout@v4"
SETUP_PYTHON = "actions/setup-python@v5"
SETUP_NODE = "actions/setup-node@v4"
UPLOAD_ARTIFACT = "actions/upload-artifact@v4"
DOWNLOAD_ARTIFACT = "actions/download-artifact@v4"
READ_ONLY = JobPermissions(contents=JobPermission.READ)


def _run(name: str, command: str, step_id: str | None = None) -> JobStep:
    """A step that runs a command with the project's tools on PATH (scripts/env.sh)."""
    return JobStep(name=name, id=step_id, run=f"source scripts/env.sh && {command}")


def _build_steps(python_version: str) -> list[JobStep]:
    """The steps that set up a fresh clone and run every check; the same on PRs and releases."""
    return [
        JobStep(name="Checkout", uses=CHECKOUT),
        JobStep(name="Set up Python", uses=SETUP_PYTHON, with_={"python-version": python_version}),
        JobStep(name="Set up Node", uses=SETUP_NODE, with_={"node-version": NODE_VERSION}),
        JobStep(name="Bootstrap", run="./scripts/bootstrap"),
        _run("Synthesize project files", "projen default", "synth"),
        _run("API.md is fresh", "projen docgen:check", "docgen-check"),
        _run("Lint", "projen lint", "lint"),
        _run("Typecheck", "projen typecheck", "typecheck"),
        _run("Test", "projen test", "test"),
        _run("Package", "projen package", "package"),
        JobStep(
            name="Tree unchanged after synth and build",
            id="tree-unchanged",
            run=(
                "git diff --exit-code\n"
                'untracked="$(git ls-files --others --exclude-standard)"\n'
                'if [ -n "$untracked" ]; then echo "untracked files: $untracked"; exit 1; fi'
            ),
        ),
    ]


build_workflow = GithubWorkflow(github, "build", file_name="build.yml")
build_workflow.on(pull_request={}, workflow_dispatch={})
build_workflow.add_job(
    "build",
    Job(
        name="build (Python ${{ matrix.python-version }})",
        runs_on=["ubuntu-latest"],
        permissions=READ_ONLY,
        strategy=JobStrategy(
            fail_fast=False,
            matrix=JobMatrix(domain={"python-version": list(SUPPORTED_PYTHONS)}),
        ),
        timeout_minutes=30,
        steps=_build_steps("${{ matrix.python-version }}"),
    ),
)

release_workflow = GithubWorkflow(
    github, "release", file_name="release.yml", limit_concurrency=True
)
release_workflow.on(push={"branches": ["main"]})
release_workflow.add_job(
    "build",
    Job(
        runs_on=["ubuntu-latest"],
        permissions=READ_ONLY,
        timeout_minutes=30,
        steps=[
            *_build_steps(SUPPORTED_PYTHONS[0]),
            JobStep(
                name="Upload dist",
                uses=UPLOAD_ARTIFACT,
                with_={"name": "dist", "path": "dist/", "if-no-files-found": "error"},
            ),
        ],
    ),
)
release_workflow.add_job(
    "release_pypi",
    Job(
        name="Publish to PyPI",
        needs=["build"],
        runs_on=["ubuntu-latest"],
        permissions=READ_ONLY,
        timeout_minutes=15,
        steps=[
            JobStep(name="Set up Python", uses=SETUP_PYTHON, with_={"python-version": "3.x"}),
            JobStep(name="Set up Node", uses=SETUP_NODE, with_={"node-version": NODE_VERSION}),
            JobStep(
                name="Download dist",
                uses=DOWNLOAD_ARTIFACT,
                with_={"name": "dist", "path": "dist/"},
            ),
            JobStep(
                name="Release",
                # publib-pypi uploads with `twine upload --skip-existing`: re-running on a version
                # that is already on PyPI is a no-op, so only a version bump publishes.
                run=f"npx -p publib@{PUBLIB_VERSION} publib-pypi dist/",
                env={
                    "TWINE_USERNAME": "__token__",
                    "TWINE_PASSWORD": "${{ secrets.PYPI_API_TOKEN }}",
                },
            ),
        ],
    ),
)

project.synth()
