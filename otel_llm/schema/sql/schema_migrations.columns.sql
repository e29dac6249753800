    Version UInt32,
    Description String,
    AppliedAt DateTime64(3) DEFAULT now64(3)
