"""What the process runs on: devices and precision the Trainer may ask for, versions and hardware."""
