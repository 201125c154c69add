import { describe, expect, it } from 'vitest';
import { addressOf, mapSesNotification } from '../../shared/connectors/ses/notifications.ts';
import { stringToSign, snsUrl } from '../../shared/connectors/ses/sns-message.ts';
import { bounceNotification, complaintNotification, deliveryNotification } from './fixtures/ses/notifications.ts';

describe('SES notification mapping (pure)', () => {
  it('reads the address out of a display name, taking the last bracketed one', () => {
    expect(addressOf('"Ops <ops@evil.example>" <Jane.Doe@Example.com>')).toBe('jane.doe@example.com');
    expect(addressOf('no address here')).toBeUndefined();
  });

  it('maps one permission change per distinct recipient of a hard bounce, keyed on the feedback id', () => {
    const notification = bounceNotification({ recipients: ['a@example.com', 'A@example.com', 'b@example.com'], feedbackId: 'fb-1' });

    const mapping = mapSesNotification(notification);

    expect(mapping).toMatchObject({
      kind: 'effects',
      effects: [
        { kind: 'permission', key: 'email-bounced:fb-1:a@example.com', address: 'a@example.com', change: 'email-bounced' },
        { kind: 'permission', key: 'email-bounced:fb-1:b@example.com', address: 'b@example.com', change: 'email-bounced' },
      ],
    });
  });

  it('changes nothing for a not-spam feedback report', () => {
    expect(mapSesNotification(complaintNotification({ recipients: ['a@example.com'], feedbackType: 'not-spam' }))).toMatchObject({
      kind: 'effects',
      effects: [],
    });
  });

  it('leaves out recipients that are not email addresses and keeps the rest', () => {
    const mapping = mapSesNotification(deliveryNotification({ recipients: ['not an address', 'c@example.com'] }));

    expect(mapping.kind === 'effects' && mapping.effects.map((effect) => effect.kind === 'touchpoint' && effect.touchpoint.identifiers)).toEqual([
      { email: 'c@example.com' },
    ]);
  });
});

describe('SNS message rules (pure)', () => {
  it('signs only the fields present, in the documented order', () => {
    const text = stringToSign({
      Type: 'Notification',
      MessageId: 'm-1',
      TopicArn: 'arn:aws:sns:eu-west-2:111122223333:t',
      Message: 'hello',
      Timestamp: '2026-12-01T09:00:00.000Z',
      SignatureVersion: '2',
      Signature: 'x',
      SigningCertURL: 'https://sns.eu-west-2.amazonaws.com/c.pem',
    });

    expect(text).toBe(
      'Message\nhello\nMessageId\nm-1\nTimestamp\n2026-12-01T09:00:00.000Z\nTopicArn\narn:aws:sns:eu-west-2:111122223333:t\nType\nNotification\n',
    );
  });

  it('accepts SNS hosts of the region only, the China partition included', () => {
    expect(snsUrl('https://sns.cn-north-1.amazonaws.com.cn/c.pem', 'cn-north-1')).toBeDefined();
    expect(snsUrl('https://user@sns.eu-west-2.amazonaws.com/c.pem', 'eu-west-2')).toBeUndefined();
    expect(snsUrl('https://sns.eu-west-2.amazonaws.com./c.pem', 'eu-west-2')).toBeUndefined();
    expect(snsUrl('not a url', 'eu-west-2')).toBeUndefined();
  });
});
