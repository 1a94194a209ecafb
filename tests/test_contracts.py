"""Every column of the warehouse explained where staff look, and the data tests of its
contracts (sql/<layer>/<table>.yml, medsos/contracts.py) failing the build loudly.

One demo-size week is built once through the real pipeline; each test that breaks
something works on its own copy of that warehouse file."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from medsos import contracts, warehouse
from medsos.config import sql_dir
from medsos.pipeline import run_week
from medsos.sample import build_plan, write_sample

WEEK = "2024-W06"


@pytest.fixture(scope="module")
def built(tmp_path_factory, settings_for):
    settings = settings_for(tmp_path_factory.mktemp("contracts"))
    write_sample(settings.landing, build_plan(WEEK, WEEK))
    run_week(settings, WEEK, send=False)
    return settings


@pytest.fixture
def copy(built, tmp_path):
    """A writable copy of the built warehouse, to break."""
    path = tmp_path / "broken.duckdb"
    shutil.copyfile(built.warehouse, path)
    con = duckdb.connect(str(path))
    yield con
    con.close()


@pytest.fixture
def contract_root(tmp_path):
    """A copy of every contract file, to edit; enforce(con, root) reads it instead of sql/."""
    root = tmp_path / "sql"
    for folder in contracts.FOLDER_SCHEMA:
        (root / folder).mkdir(parents=True)
        for path in (sql_dir() / folder).glob("*.yml"):
            shutil.copyfile(path, root / folder / path.name)
    return root


def edit_contract(root: Path, relative: str, change) -> None:
    path = root / relative
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc["models"][0])
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")


def column(model: dict, name: str) -> dict:
    return next(c for c in model["columns"] if c["name"] == name)


# --------------------------------------------------------------------------- comments


def test_every_column_of_the_published_copy_carries_its_contract_description(built):
    expected = contracts.load_contracts()
    con = duckdb.connect(str(built.published), read_only=True)
    try:
        rows = con.sql(
            """select schema_name || '.' || table_name, column_name, comment from duckdb_columns()
               where schema_name in ('staging', 'core', 'marts') and not internal"""
        ).fetchall()
        tables = con.sql(
            """select schema_name || '.' || table_name, comment from duckdb_tables()
               where schema_name in ('core', 'marts')
               union all
               select schema_name || '.' || view_name, comment from duckdb_views()
               where schema_name = 'staging'"""
        ).fetchall()
    finally:
        con.close()
    # every table and view the build makes, core and marts included, has its contract
    assert {t for t, _ in tables} == set(expected)
    assert {t for t, _, _ in rows if t.startswith(("core.", "marts."))} >= {
        "core.posts",
        "core.offices",
        "core.post_categories",
        "marts.weekly_cadence",
        "marts.office_ranks",
    }
    uncommented = [(t, c) for t, c, comment in rows if not (comment or "").strip()]
    assert uncommented == []
    # the comment is the contract's description, word for word, and views carry them too
    described = {(t, col.name): col.description for t, c in expected.items() for col in c.columns}
    assert {(t, c): comment for t, c, comment in rows} == described
    assert all((comment or "").strip() for _, comment in tables)


def test_each_contract_lists_exactly_its_tables_columns(built):
    con = duckdb.connect(str(built.published), read_only=True)
    try:
        for table, contract in contracts.load_contracts().items():
            schema, name = table.split(".")
            have = [
                r[0]
                for r in con.execute(
                    "select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
                    "order by column_index",
                    [schema, name],
                ).fetchall()
            ]
            assert contract.column_names == have, (
                f"{contract.path} lists the columns of {table} out of order"
            )
    finally:
        con.close()


def test_staff_read_the_descriptions_with_one_query(built):
    con = duckdb.connect(str(built.published), read_only=True)
    try:
        rows = dict(
            con.sql(
                """select column_name, comment from duckdb_columns()
               where schema_name = 'marts' and table_name = 'weekly_cadence'"""
            ).fetchall()
        )
    finally:
        con.close()
    assert "NULL (unknown), never 0" in rows["data_status"]
    assert rows["campaign_hashtag_share"].startswith(
        "posts_with_campaign_hashtag / posts, a fraction"
    )


# --------------------------------------------------------------------------- data tests


def failure(con, root: Path | None = None) -> str:
    with pytest.raises(contracts.DataTestFailed) as caught:
        contracts.enforce(con, root)
    return str(caught.value)


def test_a_repeated_key_fails_naming_table_key_and_values(copy):
    copy.execute(
        """insert into marts.weekly_cadence
           select * from marts.weekly_cadence where office_code = '35.07' and platform = 'x'"""
    )
    message = failure(copy)
    assert "marts.weekly_cadence: unique (office_code, platform, iso_week) failed" in message
    assert f"office_code='35.07', platform='x', iso_week='{WEEK}' (2 rows)" in message
    assert "sql/marts/weekly_cadence.yml" in message
    assert "the build is undone" in message


def test_a_null_where_none_may_be_fails_naming_the_row(copy):
    (post_id,) = copy.sql(
        "select min(post_id) from core.posts where platform = 'instagram'"
    ).fetchall()[0]
    copy.execute(
        "update core.posts set content_format = null where platform = 'instagram' and post_id = ?",
        [post_id],
    )
    message = failure(copy)
    assert "core.posts.content_format: not_null failed: 1 row(s) are NULL" in message
    assert "platform='instagram'" in message and f"post_id='{post_id}'" in message


def test_nulls_in_two_columns_of_one_table_are_both_named(copy):
    """Each column's examples are read from the table under test, not from the rows the
    column before it showed."""
    (post_id,) = copy.sql(
        "select min(post_id) from core.posts where platform = 'instagram'"
    ).fetchall()[0]
    copy.execute(
        """update core.posts set content_format = null, local_date = null
           where platform = 'instagram' and post_id = ?""",
        [post_id],
    )
    message = failure(copy)
    assert "core.posts.content_format: not_null failed: 1 row(s) are NULL" in message
    assert "core.posts.local_date: not_null failed: 1 row(s) are NULL" in message


def test_a_value_outside_the_accepted_ones_fails_naming_it(copy):
    copy.execute(
        "update marts.weekly_cadence set data_status = 'terlambat' where office_code = '35.07'"
    )
    message = failure(copy)
    assert "marts.weekly_cadence.data_status: accepted_values failed" in message
    assert "outside ['reported', 'missing']: 'terlambat' (" in message


def test_a_code_no_office_has_fails_the_relationship(copy):
    copy.execute(
        "update marts.weekly_engagement set office_code = '35.99' where office_code = '35.07'"
    )
    message = failure(copy)
    assert (
        "marts.weekly_engagement.office_code: relationships -> core.offices.office_code failed"
        in message
    )
    assert "'35.99' (" in message


def test_every_failure_is_reported_at_once(copy):
    copy.execute("update core.posts set content_category = 'hiburan' where office_code = '35.07'")
    copy.execute("delete from core.offices where office_code = '35.08'")
    message = failure(copy)
    assert "core.posts.content_category: accepted_values failed" in message
    assert (
        "marts.weekly_cadence.office_code: relationships -> core.offices.office_code failed"
        in message
    )
    assert "'35.08'" in message


def test_a_failing_data_test_undoes_the_build(built, tmp_path, monkeypatch):
    """A contract the demo's rows break (TikTok left out of weekly_cadence's platforms),
    read by the real build: it fails, and the tables and last build stay as they were."""
    project = tmp_path / "project"
    shutil.copytree(sql_dir(), project / "sql")
    edit_contract(
        project / "sql",
        "marts/weekly_cadence.yml",
        lambda m: column(m, "platform").update(
            data_tests=[
                "not_null",
                {"accepted_values": {"values": ["instagram", "facebook", "x", "youtube"]}},
            ]
        ),
    )
    settings = built
    path = tmp_path / "medsos.duckdb"
    shutil.copyfile(settings.warehouse, path)
    monkeypatch.setenv("MEDSOS_PROJECT_DIR", str(project))
    con = warehouse.connect(path)
    try:
        before = con.sql("select * from meta.last_build").fetchall()
        rows_before = con.sql("select count(*) from marts.weekly_cadence").fetchall()
        with pytest.raises(contracts.DataTestFailed) as caught:
            warehouse.build(con, settings, WEEK)
        assert "marts.weekly_cadence.platform: accepted_values failed" in str(caught.value)
        assert "'tiktok' (" in str(caught.value)
        assert con.sql("select * from meta.last_build").fetchall() == before
        assert con.sql("select count(*) from marts.weekly_cadence").fetchall() == rows_before
    finally:
        con.close()


# --------------------------------------------------------------------------- contract and table agree


def test_a_column_the_contract_does_not_describe_fails(copy):
    copy.execute("alter table marts.weekly_cadence add column posts_reels bigint")
    with pytest.raises(contracts.ContractError) as caught:
        contracts.enforce(copy)
    assert "marts.weekly_cadence has column(s) posts_reels that" in str(caught.value)
    assert "weekly_cadence.yml does not describe" in str(caught.value)


def test_a_column_the_table_lacks_fails(copy, contract_root):
    edit_contract(
        contract_root,
        "marts/weekly_engagement.yml",
        lambda m: m["columns"].append(
            {"name": "video_views", "description": "Views of the week's videos."}
        ),
    )
    edit_contract(
        contract_root, "intermediate/posts.yml", lambda m: m["columns"].remove(column(m, "saves"))
    )
    with pytest.raises(contracts.ContractError) as caught:
        contracts.enforce(copy, contract_root)
    message = str(caught.value)
    assert (
        "weekly_engagement.yml describes column(s) video_views that marts.weekly_engagement does not have"
        in message
    )
    assert "core.posts has column(s) saves that" in message


def test_a_table_without_a_contract_and_a_contract_without_a_table_fail(copy, contract_root):
    copy.execute("create table marts.monthly_cadence as select 1 as months")
    (contract_root / "reference" / "campaign_hashtags.yml").rename(
        contract_root / "reference" / "campaign_tags.yml"
    )
    edit_contract(
        contract_root, "reference/campaign_tags.yml", lambda m: m.update(name="campaign_tags")
    )
    with pytest.raises(contracts.ContractError) as caught:
        contracts.enforce(copy, contract_root)
    message = str(caught.value)
    assert (
        "marts.monthly_cadence has no contract: describe its columns in sql/marts/monthly_cadence.yml"
        in message
    )
    assert "core.campaign_hashtags has no contract" in message
    assert (
        "campaign_tags.yml: describes core.campaign_tags, which the build did not make" in message
    )


def test_a_column_without_a_description_is_refused_naming_the_file(contract_root):
    edit_contract(
        contract_root,
        "marts/office_ranks.yml",
        lambda m: column(m, "rank_in_province").update(description=" "),
    )
    with pytest.raises(
        contracts.ContractError,
        match=r"office_ranks.yml: column 'rank_in_province': needs a 'description'",
    ):
        contracts.load_contracts(contract_root)
    edit_contract(
        contract_root,
        "marts/office_ranks.yml",
        lambda m: column(m, "rank_in_province").update(
            description="Rank.", data_tests=["unique_together"]
        ),
    )
    with pytest.raises(contracts.ContractError, match=r"unknown data test 'unique_together'"):
        contracts.load_contracts(contract_root)


def test_a_weekly_build_tests_the_posts_it_recomputed(copy):
    """After a weekly build only the posts of meta.posts_to_build are tested again (the
    others were tested when they were built): a repeated snapshot among them is caught."""
    copy.execute(
        """create or replace table meta.posts_to_build as
           select platform, office_code, post_id from core.posts where office_code = '35.07' and platform = 'x'"""
    )
    (post_id,) = copy.sql(
        "select min(post_id) from core.post_snapshots where office_code = '35.07' and platform = 'x'"
    ).fetchall()[0]
    copy.execute(
        """insert into core.post_snapshots select * from core.post_snapshots
           where office_code = '35.07' and platform = 'x' and post_id = ?""",
        [post_id],
    )
    # a post the build did not touch is not read again (a year of posts would take seconds)
    copy.execute("update core.posts set content_format = null where office_code = '35.08'")
    message = failure(copy)
    assert "content_format" not in message
    assert (
        "core.post_snapshots: unique (platform, office_code, post_id, source_file) failed"
        in message
    )
    assert f"post_id='{post_id}'" in message
    # the rows read for it were a week's, in a temporary table dropped afterwards
    assert copy.sql("select count(*) from duckdb_tables() where temporary").fetchall() == [(0,)]
