from domain.canonical import Domain
from domain.routing import RouteChoice, suggest_routes


def test_suggests_domains_from_object_names():
    routes = suggest_routes(
        [
            (1, "accounts"),
            (1, "opportunities"),
            (1, "arr_movements"),
            (2, "Deal"),
            (2, "stages"),
            (3, "subscription_events"),
        ]
    )
    assert routes[Domain.PIPELINE] == [RouteChoice(1, "opportunities"), RouteChoice(2, "Deal")]
    assert routes[Domain.ARR_ACTUALS] == [RouteChoice(1, "arr_movements"), RouteChoice(3, "subscription_events")]


def test_words_must_start_with_the_stem():
    # "carrier" contains "arr" but is not an ARR object.
    assert suggest_routes([(1, "carrier_rates")]) == {Domain.PIPELINE: [], Domain.ARR_ACTUALS: []}


def test_salesforce_and_hubspot_names():
    routes = suggest_routes(
        [
            (1, "Account"),
            (1, "Opportunity"),
            (1, "OpportunityStage"),
            (1, "OpportunityLineItem"),
            (1, "OpportunityHistory"),
            (1, "ARR_Movement__c"),
            (2, "deals"),
            (2, "companies"),
        ]
    )
    assert routes[Domain.PIPELINE] == [RouteChoice(1, "Opportunity"), RouteChoice(2, "deals")]
    assert routes[Domain.ARR_ACTUALS] == [RouteChoice(1, "ARR_Movement__c")]
