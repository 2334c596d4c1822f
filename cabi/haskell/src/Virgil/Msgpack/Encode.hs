{-# LANGUAGE BangPatterns #-}
{-# LANGUAGE OverloadedStrings #-}

-- | The canonical MessagePack encoder of the Virgil ABI (cabi/ABI.md, section 5): smallest
-- encodings, float64 floats, lengths checked against what MessagePack can represent (ABI.md
-- section 11).
--
-- Layer: wire codec. Imports "Virgil.Msgpack.Value".
module Virgil.Msgpack.Encode
  ( encodeValue
  , encodeStrict
  , EncodeError (..)
  , LimitExceeded (..)
  , encodeInt64
  , encodeWord64
  , encodeInteger
  , encodeDouble
  , encodeFloat32
  , encodeText
  , encodeBytes
  , encodeTime
  , arrayHeader
  , mapHeader
  , strHeader
  , binHeader
  ) where

import Control.Exception (Exception, throw)
import Data.Bits (shiftL, (.|.))
import qualified Data.ByteString as BS
import qualified Data.ByteString.Builder as B
import qualified Data.ByteString.Lazy as BL
import Data.Int (Int64, Int8)
import Data.Text (Text)
import qualified Data.Text as T
import qualified Data.Text.Encoding as TE
import Data.Word (Word32, Word64)
import GHC.Float (castDoubleToWord64, castFloatToWord32)
import Virgil.Msgpack.Value

-- | A value that has no MessagePack encoding: an integer outside @[-2^63, 2^64)@, a timestamp
-- with 1,000,000,000 nanoseconds or more. It is thrown
-- (lazily, from the 'B.Builder') by the encoder, and crosses as @virgil.ResultError@.
newtype EncodeError = EncodeError Text
  deriving (Show)

instance Exception EncodeError

-- | A length MessagePack cannot represent: a str, bin, extension, array or map of 2^32 or more
-- bytes or elements (ABI.md section 11). Thrown (lazily, from the 'B.Builder') by the encoder
-- instead of writing a wrong length; crosses as @virgil.LimitExceeded@.
newtype LimitExceeded = LimitExceeded Text
  deriving (Show)

instance Exception LimitExceeded

-- | The canonical encoding of a value.
encodeValue :: Value -> B.Builder
encodeValue v = case v of
  Nil -> B.word8 0xc0
  Bool b -> B.word8 (if b then 0xc3 else 0xc2)
  Int n -> encodeInteger n
  Float d -> encodeDouble d
  Float32 f -> encodeFloat32 f
  Str t -> encodeText t
  Bin b -> encodeBytes b
  Array xs -> arrayHeader (length xs) <> foldMap encodeValue xs
  Map kvs -> mapHeader (length kvs) <> foldMap (\(k, x) -> encodeValue k <> encodeValue x) kvs
  Time s n -> encodeTime s n
  Ext t d -> encodeExt t d

-- | Encodes a value to a strict byte string (forcing the whole value).
encodeStrict :: Value -> BS.ByteString
encodeStrict = BL.toStrict . B.toLazyByteString . encodeValue

-- | The smallest encoding of a signed integer.
encodeInt64 :: Int64 -> B.Builder
encodeInt64 i
  | i >= 0 = encodeWord64 (fromIntegral i)
  | i >= -32 = B.int8 (fromIntegral i)
  | i >= -128 = B.word8 0xd0 <> B.int8 (fromIntegral i)
  | i >= -32768 = B.word8 0xd1 <> B.int16BE (fromIntegral i)
  | i >= -2147483648 = B.word8 0xd2 <> B.int32BE (fromIntegral i)
  | otherwise = B.word8 0xd3 <> B.int64BE i
{-# INLINE encodeInt64 #-}

-- | The smallest encoding of a non-negative integer.
encodeWord64 :: Word64 -> B.Builder
encodeWord64 w
  | w < 0x80 = B.word8 (fromIntegral w)
  | w < 0x100 = B.word8 0xcc <> B.word8 (fromIntegral w)
  | w < 0x10000 = B.word8 0xcd <> B.word16BE (fromIntegral w)
  | w < 0x100000000 = B.word8 0xce <> B.word32BE (fromIntegral w)
  | otherwise = B.word8 0xcf <> B.word64BE w
{-# INLINE encodeWord64 #-}

-- | The smallest encoding of an integer; throws 'EncodeError' outside @[-2^63, 2^64)@.
encodeInteger :: Integer -> B.Builder
encodeInteger n
  | n >= 0 && n <= toInteger (maxBound :: Word64) = encodeWord64 (fromInteger n)
  | n < 0 && n >= toInteger (minBound :: Int64) = encodeInt64 (fromInteger n)
  | otherwise =
      throw (EncodeError ("integer " <> T.pack (show n) <> " does not fit MessagePack's 64 bits"))

-- | A float 64 (@0xcb@), bits preserved (NaN payloads included).
encodeDouble :: Double -> B.Builder
encodeDouble d = B.word8 0xcb <> B.word64BE (castDoubleToWord64 d)

-- | A float 32 (@0xca@), only for declared float32 values.
encodeFloat32 :: Float -> B.Builder
encodeFloat32 f = B.word8 0xca <> B.word32BE (castFloatToWord32 f)

-- | A str: fixstr, str8, str16 or str32, the smallest.
encodeText :: Text -> B.Builder
encodeText t = strHeader (BS.length b) <> B.byteString b
  where
    b = TE.encodeUtf8 t

-- | The header of a str of n bytes; throws 'LimitExceeded' from 2^32 on.
strHeader :: Int -> B.Builder
strHeader n
  | n < 32 = B.word8 (0xa0 .|. fromIntegral n)
  | n < 0x100 = B.word8 0xd9 <> B.word8 (fromIntegral n)
  | n < 0x10000 = B.word8 0xda <> B.word16BE (fromIntegral n)
  | n < 0x100000000 = B.word8 0xdb <> B.word32BE (fromIntegral n)
  | otherwise = tooLong "str" n

-- | A bin: bin8, bin16 or bin32, the smallest (also for empty).
encodeBytes :: BS.ByteString -> B.Builder
encodeBytes b = binHeader (BS.length b) <> B.byteString b

-- | The header of a bin of n bytes; throws 'LimitExceeded' from 2^32 on.
binHeader :: Int -> B.Builder
binHeader n
  | n < 0x100 = B.word8 0xc4 <> B.word8 (fromIntegral n)
  | n < 0x10000 = B.word8 0xc5 <> B.word16BE (fromIntegral n)
  | n < 0x100000000 = B.word8 0xc6 <> B.word32BE (fromIntegral n)
  | otherwise = tooLong "bin" n

-- | The header of an array of n elements; throws 'LimitExceeded' from 2^32 on.
arrayHeader :: Int -> B.Builder
arrayHeader n
  | n < 16 = B.word8 (0x90 .|. fromIntegral n)
  | n < 0x10000 = B.word8 0xdc <> B.word16BE (fromIntegral n)
  | n < 0x100000000 = B.word8 0xdd <> B.word32BE (fromIntegral n)
  | otherwise = tooLong "array" n

-- | The header of a map of n entries; throws 'LimitExceeded' from 2^32 on.
mapHeader :: Int -> B.Builder
mapHeader n
  | n < 16 = B.word8 (0x80 .|. fromIntegral n)
  | n < 0x10000 = B.word8 0xde <> B.word16BE (fromIntegral n)
  | n < 0x100000000 = B.word8 0xdf <> B.word32BE (fromIntegral n)
  | otherwise = tooLong "map" n

-- | The timestamp extension: timestamp 32 when nsec = 0 and 0 <= sec < 2^32, else timestamp 64
-- when 0 <= sec < 2^34, else timestamp 96. Nanoseconds of 1,000,000,000 or more throw
-- 'EncodeError' (ABI.md section 5: such a timestamp is malformed).
encodeTime :: Int64 -> Word32 -> B.Builder
encodeTime sec nsec
  | nsec > 999999999 =
      throw (EncodeError ("invalid timestamp: nanoseconds " <> T.pack (show nsec) <> " (at most 999999999)"))
  | nsec == 0 && sec >= 0 && sec < 0x100000000 =
      B.word8 0xd6 <> B.int8 (-1) <> B.word32BE (fromIntegral sec)
  | sec >= 0 && sec < 0x400000000 =
      B.word8 0xd7 <> B.int8 (-1)
        <> B.word64BE ((fromIntegral nsec `shiftL` 34) .|. fromIntegral sec)
  | otherwise = B.word8 0xc7 <> B.word8 12 <> B.int8 (-1) <> B.word32BE nsec <> B.int64BE sec

encodeExt :: Int8 -> BS.ByteString -> B.Builder
encodeExt t d = header <> B.int8 t <> B.byteString d
  where
    n = BS.length d
    header = case n of
      1 -> B.word8 0xd4
      2 -> B.word8 0xd5
      4 -> B.word8 0xd6
      8 -> B.word8 0xd7
      16 -> B.word8 0xd8
      _
        | n < 0x100 -> B.word8 0xc7 <> B.word8 (fromIntegral n)
        | n < 0x10000 -> B.word8 0xc8 <> B.word16BE (fromIntegral n)
        | n < 0x100000000 -> B.word8 0xc9 <> B.word32BE (fromIntegral n)
        | otherwise -> tooLong "ext" n

tooLong :: Text -> Int -> a
tooLong what n =
  throw
    ( LimitExceeded
        (what <> " of " <> T.pack (show n) <> " bytes or elements is too long for MessagePack (at most 2^32 - 1)")
    )
