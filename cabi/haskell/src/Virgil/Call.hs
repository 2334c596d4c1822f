{-# LANGUAGE BangPatterns #-}
{-# LANGUAGE FlexibleInstances #-}
{-# LANGUAGE MultiWayIf #-}
{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}
{-# LANGUAGE UndecidableInstances #-}

-- | The calling convention (ABI.md sections 2 to 4) and uncurrying: any @a -> b -> ... -> IO r@,
-- or pure @a -> b -> ... -> r@, whose arguments are 'FromMsgpack' and whose result is
-- 'ToMsgpack', becomes a 'Function' that lifts an argument array, runs, and answers with a reply
-- envelope. The entry points that make C functions of it are in "Virgil.Export".
--
-- A call lifts the argument array (a @virgil.ArgumentError@ naming the function and the argument
-- when it cannot), runs the function, encodes the result inside the same exception handler (so
-- lazy @error@ calls and 'ArithException's hidden in the result are caught, because encoding
-- forces every part of the value that crosses), and writes the envelope by the scratch-buffer
-- protocol. No Haskell exception ever leaves it.
--
-- Layer: calling convention and uncurrying. Imports "Virgil.Box", "Virgil.Msgpack" and
-- "Virgil.Exception".
module Virgil.Call
  ( -- * Uncurrying
    Exportable (..)
  , Function (..)
  , function
  , withParams
  , withDoc
    -- * Calls
  , call
  , readBox
  , answer
  , respond
  ) where

import Control.Exception
import qualified Data.ByteString as BS
import qualified Data.ByteString.Builder as B
import qualified Data.ByteString.Lazy as BL
import Data.Int (Int64)
import Data.Proxy (Proxy (..))
import Data.Text (Text)
import qualified Data.Text as T
import Foreign.Marshal.Alloc (allocaBytes)
import Foreign.Ptr (Ptr, castPtr, nullPtr)
import GHC.Stack (CallStack, HasCallStack, SrcLoc (..), callStack, getCallStack)
import Virgil.Box
import Virgil.Exception
import Virgil.Msgpack

------------------------------------------------------------------------------------------------
-- Uncurrying

-- | Functions that can be exported: @a -> ... -> IO r@ and pure @a -> ... -> r@.
class Exportable f where
  -- | The parameters' types, in the type vocabulary.
  paramTypes :: Proxy f -> [Text]

  -- | The result's type.
  resultType :: Proxy f -> Text

  -- | Lifts the arguments one by one (the first is argument @i@) and returns the action that
  -- runs the function and encodes its result, or the position of the first argument that could
  -- not be lifted and why.
  applyArgs :: f -> Int -> [Value] -> Either (Int, FromError) (IO B.Builder)

instance (FromMsgpack a, Exportable b) => Exportable (a -> b) where
  paramTypes _ = fromTypeName (Proxy :: Proxy a) : paramTypes (Proxy :: Proxy b)
  resultType _ = resultType (Proxy :: Proxy b)
  applyArgs f !i (v : vs) = case fromMsgpack v of
    Left e -> Left (i, e)
    Right a -> applyArgs (f a) (i + 1) vs
  applyArgs _ i [] = Left (i, FromError [] "missing")

instance ToMsgpack r => Exportable (IO r) where
  paramTypes _ = []
  resultType _ = toTypeName (Proxy :: Proxy r)
  applyArgs io _ _ = Right (encodeMsgpack <$> io)

instance {-# OVERLAPPABLE #-} ToMsgpack r => Exportable r where
  paramTypes _ = []
  resultType _ = toTypeName (Proxy :: Proxy r)
  applyArgs r _ _ = Right (pure (encodeMsgpack r))

-- | A function ready to export: its name, its parameters' names and types, its result type,
-- its documentation, and the uncurried code.
data Function = Function
  { functionName :: !Text
  , fnParamNames :: [Text]
  , fnParamTypes :: [Text]
  , fnResult :: !Text
  , fnDoc :: !Text
  , fnArity :: !Int
  , fnRun :: [Value] -> Either (Int, FromError) (IO B.Builder)
  , fnSite :: Frame
  }

-- | Describes a function for export. Its parameters are named @arg1@, @arg2@, ... until
-- 'withParams' names them.
--
-- Where 'function' (or 'export') is called is the function's own frame: a failure that carries
-- no frame of its own (an 'IOException', an 'ArithException', your type thrown with 'throwIO')
-- comes back with this frame, named after the exported function qualified by its module
-- (@Conformance.read_file@), so a traceback always shows the user's code.
function :: forall f. (HasCallStack, Exportable f) => Text -> f -> Function
function name f =
  Function
    { functionName = name
    , fnParamNames = ["arg" <> T.pack (show i) | i <- [1 .. length types]]
    , fnParamTypes = types
    , fnResult = resultType (Proxy :: Proxy f)
    , fnDoc = T.empty
    , fnArity = length types
    , fnRun = applyArgs f 1
    , fnSite = siteFrame name callStack
    }
  where
    types = paramTypes (Proxy :: Proxy f)

-- | The frame of the user's call of 'function' or 'export': the innermost call site outside
-- the kit's modules, named after the exported function.
siteFrame :: Text -> CallStack -> Frame
siteFrame name cs = case [l | (_, l) <- getCallStack cs, not ("Virgil" `T.isPrefixOf` T.pack (srcLocModule l))] of
  l : _ ->
    Frame (T.pack (srcLocModule l) <> "." <> name) (T.pack (srcLocFile l)) (srcLocStartLine l) (srcLocStartCol l)
  [] -> Frame name T.empty 0 0
{-# INLINABLE function #-}

-- | Names the parameters (for the manifest). Extra names are ignored; missing ones keep their
-- @argN@ name.
withParams :: [Text] -> Function -> Function
withParams names fn = fn {fnParamNames = zipWith const (names ++ drop (length names) (fnParamNames fn)) (fnParamTypes fn)}

-- | Sets the function's documentation (for the manifest).
withDoc :: Text -> Function -> Function
withDoc d fn = fn {fnDoc = d}

------------------------------------------------------------------------------------------------
-- Calls

-- | Lifts the arguments and returns the action that runs the function and encodes its result;
-- throws a @virgil.ArgumentError@ record when the arguments do not fit, a
-- @virgil.LimitExceeded@ record when they exceed a limit (nesting deeper than 'maxDepth').
call :: Function -> BS.ByteString -> IO B.Builder
call fn input = case decodeArgs input of
  Left e
    | decodeLimit e ->
        throwIO (exceptionRecord limitExceededName (functionName fn <> ": arguments: " <> renderDecodeError e))
    | otherwise -> failure ("malformed arguments: " <> renderDecodeError e)
  Right args
    | n /= fnArity fn ->
        failure ("expected " <> count (fnArity fn) <> ", got " <> T.pack (show n))
    | otherwise -> case fnRun fn args of
        Left (i, e) -> failure ("argument " <> T.pack (show i) <> ": " <> renderFromError e)
        Right action -> action
    where
      n = length args
  where
    failure msg = throwIO (exceptionRecord argumentErrorName (functionName fn <> ": " <> msg))
    count 1 = "1 argument"
    count k = T.pack (show k) <> " arguments"

-- | Answers one call's argument bytes with the bytes of its reply envelope, as the exported
-- function would (for tests and in-process use); never throws.
respond :: Function -> BS.ByteString -> IO BS.ByteString
respond fn input = allocaBytes 16 $ \outBox -> do
  clearBox outBox
  answer (fnSite fn) outBox (call fn input)
  (ptr, len) <- peekBox outBox
  if ptr == nullPtr
    then pure BS.empty
    else do
      bytes <- BS.packCStringLen (castPtr ptr, fromIntegral len)
      _ <- virgilRealloc ptr 0
      pure bytes

-- | Runs a call and writes its envelope into the out box; never throws. The action runs the
-- function and returns the encoding of its result; encoding happens inside the same handler, so
-- an exception hidden anywhere in the result (a lazy @error@, a division by zero) is caught
-- while it is written and becomes an error envelope instead, given the exported function's
-- frame when it has none of its own ('withUserFrame'). When even that cannot be written, an
-- internal error is; when nothing can be allocated, the box is left @{NULL, 0}@.
answer :: Frame -> Ptr VirgilBox -> IO B.Builder -> IO ()
answer site outBox action
  | outBox == nullPtr = () <$ (try (action >>= evaluate . BL.length . B.toLazyByteString) :: IO (Either SomeException Int64))
  | otherwise = do
      (scratch, capacity) <- peekBox outBox
      let room = if scratch == nullPtr then 0 else fromIntegral (min capacity (fromIntegral (maxBound :: Int)))
          attempt b = try (b >>= \builder -> emit scratch room builder)
      r <- attempt (fmap (okHeader <>) action)
      case r of
        Right written -> set written
        Left ex -> do
          r' <- attempt (pure (errorHeader <> encodeMsgpack (withUserFrame site (toExceptionRecord ex))))
          case r' of
            Right written -> set written
            Left (_ :: SomeException) -> do
              r'' <- attempt (pure internalErrorEnvelope)
              either (\(_ :: SomeException) -> clearBox outBox) set r''
  where
    set = setBox outBox

-- | @{"ok": @ and @{"error": @, the start of every envelope.
okHeader, errorHeader :: B.Builder
okHeader = B.byteString okBytes
errorHeader = B.byteString errorBytes

okBytes, errorBytes :: BS.ByteString
okBytes = BS.pack [0x81, 0xa2, 0x6f, 0x6b]
errorBytes = BS.pack [0x81, 0xa5, 0x65, 0x72, 0x72, 0x6f, 0x72]
{-# NOINLINE okBytes #-}
{-# NOINLINE errorBytes #-}

-- | The envelope when even an exception could not be described.
internalErrorEnvelope :: B.Builder
internalErrorEnvelope =
  errorHeader
    <> encodeMsgpack (exceptionRecord internalErrorName "the Haskell guest could not describe its exception")

-- | The argument bytes of a call ('boxBytes'); a broken argument box is a
-- @virgil.ProtocolError@ naming the function, and the pointer is never read.
readBox :: Text -> Ptr VirgilBox -> IO BS.ByteString
readBox name box = boxBytes box >>= either protocol pure
  where
    protocol msg = throwIO (exceptionRecord protocolErrorName (name <> ": " <> msg))
