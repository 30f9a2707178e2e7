"""The pathway's rules come from the settings; a referral cannot expire before it is overdue,
nor a document go before the duplicate windows that look back over it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from broker.errors import ConfigurationError
from broker.pathway import pathway_rules
from broker.settings import load_settings


def test_the_referral_clock_follows_the_settings(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("SAATTAJA_REFERRAL_DUE_WORKING_DAYS", "3")
    clean_environment.setenv("SAATTAJA_REFERRAL_OVERDUE_REPEAT_WORKING_DAYS", "2")
    clean_environment.setenv("SAATTAJA_REFERRAL_EXPIRY_WORKING_DAYS", "10")
    clock = pathway_rules(load_settings()).clock
    assert (clock.due_working_days, clock.repeat_working_days, clock.expiry_working_days) == (
        3,
        2,
        10,
    )


def test_the_duplicate_windows_follow_the_settings(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("SAATTAJA_DUPLICATE_ASSESSMENT_WINDOW_DAYS", "90")
    clean_environment.setenv("SAATTAJA_DUPLICATE_ASSESSMENT_WINDOWS", '{"kykyviisari": 30}')
    duplicates = pathway_rules(load_settings()).duplicates
    assert duplicates.default == timedelta(days=90)
    assert dict(duplicates.by_kind) == {"kykyviisari": timedelta(days=30)}
    assert duplicates.of("terveystarkastus") == timedelta(days=90)


def test_the_defaults_give_five_days_to_answer_and_twenty_to_expire(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    rules = pathway_rules(load_settings())
    assert (rules.clock.due_working_days, rules.clock.expiry_working_days) == (5, 20)
    assert rules.duplicates.default == timedelta(days=183)
    assert dict(rules.duplicates.by_kind) == {}


@pytest.mark.parametrize("expiry", ["5", "4"], ids=["equal", "sooner"])
def test_an_expiry_not_after_the_due_time_is_refused_naming_both_settings(
    clean_environment: pytest.MonkeyPatch, expiry: str
) -> None:
    clean_environment.setenv("SAATTAJA_REFERRAL_DUE_WORKING_DAYS", "5")
    clean_environment.setenv("SAATTAJA_REFERRAL_EXPIRY_WORKING_DAYS", expiry)
    with pytest.raises(
        ConfigurationError,
        match=rf"^invalid settings: SAATTAJA_REFERRAL_EXPIRY_WORKING_DAYS \({expiry}\) must be "
        r"more than SAATTAJA_REFERRAL_DUE_WORKING_DAYS \(5\)",
    ):
        load_settings()


def test_duplicate_assessment_windows_that_are_not_json_fail_naming_the_variable(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("SAATTAJA_DUPLICATE_ASSESSMENT_WINDOWS", "notjson")
    with pytest.raises(
        ConfigurationError, match=r"SAATTAJA_DUPLICATE_ASSESSMENT_WINDOWS: is not valid JSON"
    ):
        load_settings()


def test_a_negative_duplicate_assessment_window_fails_naming_the_variable_and_the_kind(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("SAATTAJA_DUPLICATE_ASSESSMENT_WINDOWS", '{"kykyviisari": -1}')
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert "SAATTAJA_DUPLICATE_ASSESSMENT_WINDOWS, entry 'kykyviisari': " in str(caught.value)


def test_a_duplicate_assessment_window_of_no_known_kind_fails_listing_the_kinds(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("SAATTAJA_DUPLICATE_ASSESSMENT_WINDOWS", '{"kykyviisri": 3}')
    with pytest.raises(
        ConfigurationError,
        match=r"SAATTAJA_DUPLICATE_ASSESSMENT_WINDOWS: names no assessment kind: 'kykyviisri'; "
        r"the kinds are .*kykyviisari",
    ):
        load_settings()


def test_documents_are_kept_a_year_by_default(clean_environment: pytest.MonkeyPatch) -> None:
    assert pathway_rules(load_settings()).document_retention == timedelta(days=365)


def test_the_document_retention_follows_the_settings(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("SAATTAJA_PATHWAY_DOCUMENT_RETENTION_DAYS", "200")
    assert pathway_rules(load_settings()).document_retention == timedelta(days=200)


def test_a_retention_shorter_than_the_duplicate_window_is_refused_naming_both_settings(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("SAATTAJA_PATHWAY_DOCUMENT_RETENTION_DAYS", "100")
    with pytest.raises(
        ConfigurationError,
        match=r"^invalid settings: SAATTAJA_PATHWAY_DOCUMENT_RETENTION_DAYS \(100\) must be at "
        r"least SAATTAJA_DUPLICATE_ASSESSMENT_WINDOW_DAYS \(183\)",
    ):
        load_settings()


def test_a_retention_shorter_than_one_kinds_window_is_refused_naming_the_kind(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("SAATTAJA_PATHWAY_DOCUMENT_RETENTION_DAYS", "365")
    clean_environment.setenv("SAATTAJA_DUPLICATE_ASSESSMENT_WINDOWS", '{"kykyviisari": 400}')
    with pytest.raises(
        ConfigurationError,
        match=r"SAATTAJA_PATHWAY_DOCUMENT_RETENTION_DAYS \(365\) must be at least "
        r"SAATTAJA_DUPLICATE_ASSESSMENT_WINDOWS \(kykyviisari\) \(400\)",
    ):
        load_settings()
