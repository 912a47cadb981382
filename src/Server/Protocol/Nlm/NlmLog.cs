namespace DittoFs.Server.Protocol.Nlm;

internal static partial class NlmLog
{
    [LoggerMessage(6001, LogLevel.Information, "NLM: blocked lock of {Host} granted; NLM_GRANTED callback answered {Status}")]
    public static partial void GrantedCallback(ILogger logger, string host, string status);

    [LoggerMessage(6002, LogLevel.Information, "NLM: locks of {Host} released ({Why})")]
    public static partial void HostFreed(ILogger logger, string host, string why);

    [LoggerMessage(6003, LogLevel.Debug, "NLM: {Procedure} to {Address}: {Outcome}")]
    public static partial void ResultCallback(ILogger logger, string procedure, string address, string outcome);
}
