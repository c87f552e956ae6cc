"""One function's handler started as Lambda starts it, on moto, for tests/unit/test_alarms.py.

Run as ``python -m tests.emf_probe <FunctionLogicalId> <event name>`` in a fresh process: the
function's template environment is set before anything imports Powertools, so the metrics'
namespace and ``service`` dimension are the ones the deployed function would write. Whatever
the handler prints (its log lines and its EMF documents) goes to stdout for the caller to read.
"""

from __future__ import annotations

import os
import sys

from tests.conftest import REGION


def main(function_id: str, event_name: str) -> None:
    from moto import mock_aws

    from local.provision import provision
    from local.template import load_template
    from tests.support import LambdaContext, handler_module, load_event

    model = load_template()
    function = model.functions[function_id]
    with mock_aws():
        # The vendor secret stays as the template generates it: a fresh deploy's.
        provisioned = provision(model, region=REGION)
        os.environ.update(provisioned.function_environment(function_id))
        handler = handler_module(function.code_dir.name)  # the cold start: Powertools imported
        context = LambdaContext(
            function_name=provisioned.physical_id(function_id),
            remaining_ms=function.timeout * 1000,
        )
        handler.lambda_handler(load_event(event_name), context)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
