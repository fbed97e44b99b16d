from .transfer_metric import (
    TransferMetric,
    expected_calibration_error,
    reliability_bins,
)

__all__ = ['TransferMetric', 'expected_calibration_error', 'reliability_bins']
