import {
  parseJfrSamples,
  parseRequestLog,
  sampleActivity,
  summarizeRequestLog,
  threadRole,
} from './kafka-profile';

describe('kafka-profile: where the broker CPU goes', () => {
  it('counts the threads of one role together', () => {
    expect(threadRole('data-plane-kafka-request-handler-3')).toBe('request handlers (data plane)');
    expect(threadRole('data-plane-kafka-network-thread-1-ListenerName(PLAINTEXT)-PLAINTEXT-2')).toBe(
      'network threads (client listeners)',
    );
    expect(threadRole('TxnMarkerSenderThread-1')).toBe('transaction marker sender');
  });

  it('attributes a sample to the outermost KafkaApis handler on its stack', () => {
    const [sample] = parseJfrSamples(`jdk.ExecutionSample {
  startTime = 07:19:55.122
  sampledThread = "data-plane-kafka-request-handler-0" (javaThreadId = 60)
  state = "STATE_RUNNABLE"
  stackTrace = [
    kafka.server.DelayedFetch.tryComplete() line: 80
    kafka.server.ReplicaManager.appendRecords(long) line: 900
    kafka.server.KafkaApis.handleProduceRequest(RequestChannel$Request, RequestLocal) line: 700
    kafka.server.KafkaApis.handle(RequestChannel$Request, RequestLocal) line: 180
    kafka.server.KafkaRequestHandler.run() line: 154
    ...
  ]
}
`);
    expect(sample).toEqual({
      thread: 'data-plane-kafka-request-handler-0',
      frames: [
        'kafka.server.DelayedFetch.tryComplete',
        'kafka.server.ReplicaManager.appendRecords',
        'kafka.server.KafkaApis.handleProduceRequest',
        'kafka.server.KafkaApis.handle',
        'kafka.server.KafkaRequestHandler.run',
      ],
    });
    expect(sampleActivity(sample!)).toBe('KafkaApis.handleProduceRequest');
  });

  it('names a request by its client and what it asks for, without the run prefix', () => {
    const line = (header: string, request: string) =>
      `[2026-12-03 07:31:07,012] DEBUG Completed request:{"isForwarded":false,"requestHeader":${header},"request":${request},"response":{},"localTimeMs":0.25} (kafka.request.logger)`;
    const requests = parseRequestLog(
      [
        line(
          '{"clientId":"ssync-projector","requestApiKeyName":"FETCH"}',
          '{"maxWaitMs":100,"minBytes":1048576,"topics":[{"topic":"bench-sync-1a2b3c.mailbox.operational"},{"topic":"bench-sync-1a2b3c.mailbox.operational"}]}',
        ),
        line(
          '{"clientId":"ssync-projector","requestApiKeyName":"OFFSET_COMMIT"}',
          '{"groupId":"bench-sync-1a2b3c.projector.v1","topics":[]}',
        ),
        'an unrelated line',
      ].join('\n'),
    );
    expect(requests).toEqual([
      {
        api: 'FETCH',
        client: 'ssync-projector: mailbox.operational (wait 100 ms, minBytes 1048576)',
        localMs: 0.25,
      },
      { api: 'OFFSET_COMMIT', client: 'ssync-projector: group projector.v1', localMs: 0.25 },
    ]);
    expect(summarizeRequestLog(requests, 0.5).byApi).toEqual([
      ['FETCH', 2, 0.5],
      ['OFFSET_COMMIT', 2, 0.5],
    ]);
  });
});
