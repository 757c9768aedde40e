"""Record xavier's build/run-time facts and the peers' versions in pytest-benchmark's
machine info."""


def pytest_benchmark_update_machine_info(config, machine_info):
    from xavier import _bench

    machine_info["xavier_bench_facts"] = _bench.machine_facts(
        {name: _bench.import_peer(name)[0] for name in _bench.PEERS})
