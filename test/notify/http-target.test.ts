import { describe, expect, it } from 'vitest';
import { checkTarget } from '../../src/notify/http-target.js';

describe('notification URL policy', () => {
  it('takes https anywhere, http only to loopback and only when allowed', () => {
    expect(checkTarget('https://hooks.example.com/x', 'url', false).host).toBe('hooks.example.com');
    for (const host of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080'])
      expect(checkTarget(`http://${host}/x`, 'url', true).protocol).toBe('http:');
    expect(() => checkTarget('http://127.0.0.1:8080/x', 'url', false)).toThrow(
      'url: must be an https:// URL (http:// only to a loopback address with monitoring.allowLoopbackHttp)',
    );
    expect(() => checkTarget('http://10.0.0.5/x', 'url', true)).toThrow(
      'url: must be an https:// URL (or http:// to a loopback address)',
    );
    expect(() => checkTarget('not a url', 'url', true)).toThrow('url: not a valid URL');
  });
});
