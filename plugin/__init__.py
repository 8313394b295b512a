"""The ``rivya`` pytest plugin, Hypothesis strategies and respx integration.

- ``pytest_plugin`` / ``fixtures``: ``rivya_mock``, ``rivya_respx``, ``rivya_server``,
  ``rivya_target``; the ``rivya_scenario`` and ``rivya_live`` markers.
- ``strategies``: valid and invalid create requests, uploads, server behaviours.
- ``stateful``: ``RivyaStateMachine``, runnable against any ``targets.Target``.
- ``respx_routes``: ``mock_router`` and ``mock_transport`` put a mock behind httpx;
  ``respx_shortcut`` lets httpx's own transports skip respx's round trip to it.
- ``budget``: a hard credit budget enforced before a create is sent.
- ``webhooks``: ``verify_webhook`` checks a signed webhook delivery in a receiver.

Nothing is imported here, so loading the plugin stays light.
"""
