public enum KipCLIPlaceholder {}
