// The `verdict` executable: everything lives in VerdictCommands, so tests can drive the same code.
import VerdictCommands

VerdictCommand.main()
