"""Record xavier's build/run-time facts in pytest-benchmark's machine info."""


def pytest_benchmark_update_machine_info(config, machine_info):
    import numpy as np

    import xavier

    machine_info["xavier"] = xavier.config()
    machine_info["numpy"] = np.__version__
    try:
        import torch
    except ImportError:
        machine_info["torch"] = None
    else:
        machine_info["torch"] = torch.__version__
        machine_info["torch_threads"] = torch.get_num_threads()
